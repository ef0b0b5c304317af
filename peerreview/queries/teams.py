"""SQL of the teams page: an assignment's teams with their members' names, the learners in no
team, the learners a pasted list names (by email, LMS user id or name), and the LMS's groups
(the Course Groups snapshot the roster sync keeps in lti_groups / lti_group_members)."""

from __future__ import annotations

import asyncpg


async def select_roster(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT tm.team, tm.user_id, u.name, u.email
             FROM pr_team_members tm JOIN users u ON u.id = tm.user_id
            WHERE tm.course_id = $1 AND tm.assignment_id = $2
            ORDER BY tm.team, u.name, tm.user_id""",
        course_id,
        assignment_id,
    )


async def select_unassigned(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, limit: int
) -> tuple[int, list[asyncpg.Record]]:
    """How many active learners are in no team, and the first `limit` of them by name."""
    rows = await conn.fetch(
        """SELECT u.id AS user_id, u.name, u.email, count(*) OVER () AS total
             FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 AND m.role = 'learner' AND m.active
              AND NOT EXISTS (SELECT 1 FROM pr_team_members tm
                               WHERE tm.course_id = m.course_id AND tm.assignment_id = $2
                                 AND tm.user_id = m.user_id)
            ORDER BY u.name, u.id LIMIT $3""",
        course_id,
        assignment_id,
        limit,
    )
    return (rows[0]["total"] if rows else 0), rows


async def select_named_learners(
    conn: asyncpg.Connection, course_id: int, names: list[str]
) -> list[asyncpg.Record]:
    """Learners of the course whose email (any case), LMS user id (sub) or exact name is one of
    `names`: the caller decides which name matched whom (and refuses an ambiguous one)."""
    lowered = [n.lower() for n in names]
    return await conn.fetch(
        """SELECT u.id AS user_id, u.name, lower(u.email) AS email, u.sub
             FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 AND m.role = 'learner'
              AND (lower(u.email) = ANY($2::text[]) OR u.sub = ANY($3::text[])
                   OR u.name = ANY($3::text[]))""",
        course_id,
        lowered,
        names,
    )


async def select_lms_groups_state(
    conn: asyncpg.Connection, course_id: int
) -> asyncpg.Record | None:
    """Whether the LMS offers its groups (Course Groups) and when they were last read."""
    return await conn.fetchrow(
        """SELECT groups_url IS NOT NULL AS offered, groups_synced_at
             FROM lti_course_services WHERE course_id = $1""",
        course_id,
    )


async def select_lms_group_sets(
    conn: asyncpg.Connection, course_id: int, limit: int
) -> list[asyncpg.Record]:
    """The LMS's group sets ('' for groups in no set), each with its groups and active learners."""
    return await conn.fetch(
        """SELECT g.set_key, max(g.set_name) AS set_name,
                  count(DISTINCT g.group_key) AS groups, count(DISTINCT ms.user_id) AS learners
             FROM lti_groups g
             LEFT JOIN lti_group_members gm
                    ON gm.course_id = g.course_id AND gm.group_key = g.group_key
             LEFT JOIN memberships ms
                    ON ms.course_id = gm.course_id AND ms.user_id = gm.user_id
                   AND ms.role = 'learner' AND ms.active
            WHERE g.course_id = $1
            GROUP BY g.set_key ORDER BY max(g.set_name), g.set_key LIMIT $2""",
        course_id,
        limit,
    )


async def select_lms_group_members(
    conn: asyncpg.Connection, course_id: int, set_key: str
) -> list[asyncpg.Record]:
    """The active learners of each group of one set, by group then name."""
    return await conn.fetch(
        """SELECT g.group_key, g.name AS team, gm.user_id, u.name
             FROM lti_groups g
             JOIN lti_group_members gm ON gm.course_id = g.course_id AND gm.group_key = g.group_key
             JOIN memberships ms ON ms.course_id = gm.course_id AND ms.user_id = gm.user_id
                                AND ms.role = 'learner' AND ms.active
             JOIN users u ON u.id = gm.user_id
            WHERE g.course_id = $1 AND g.set_key = $2
            ORDER BY g.name, g.group_key, u.name, gm.user_id""",
        course_id,
        set_key,
    )
