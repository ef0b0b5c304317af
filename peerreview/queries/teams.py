"""SQL of the teams page: an assignment's teams with their members' names, the learners in no
team, and the learners a pasted list names (by email, LMS user id or name)."""

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
