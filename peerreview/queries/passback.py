"""SQL of grade passback: the released final score of every learner, for the LMS, and the
status of what was sent, learner by learner, for staff."""

from __future__ import annotations

import asyncpg


async def select_release_scores(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> asyncpg.Record:
    """Every learner's released final score as parallel arrays in user id order, one round
    trip: `users`, `scores`, `times` (the grade's own time: release, or a later override).
    Each team member gets the team's score; a learner with two scores gets the latest."""
    row = await conn.fetchrow(
        """SELECT coalesce(array_agg(user_id ORDER BY user_id), '{}') AS users,
                  coalesce(array_agg(final_score ORDER BY user_id), '{}') AS scores,
                  coalesce(array_agg(score_time ORDER BY user_id), '{}') AS times
             FROM (SELECT DISTINCT ON (u.user_id) u.user_id, g.final_score,
                          GREATEST(g.released_at, g.overridden_at) AS score_time
                     FROM pr_grades g
                     JOIN pr_submissions s ON s.course_id = g.course_id AND s.id = g.submission_id
                     CROSS JOIN LATERAL (
                         SELECT s.author_id AS user_id WHERE s.team IS NULL
                         UNION
                         SELECT tm.user_id FROM pr_team_members tm
                          WHERE s.team IS NOT NULL AND tm.course_id = s.course_id
                            AND tm.assignment_id = s.assignment_id AND tm.team = s.team
                     ) u
                    WHERE g.course_id = $1 AND g.assignment_id = $2
                      AND g.final_score IS NOT NULL AND g.released_at IS NOT NULL
                    ORDER BY u.user_id, score_time DESC) x""",
        course_id,
        assignment_id,
    )
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row


async def select_passback_page(
    conn: asyncpg.Connection,
    course_id: int,
    resource_id: str,
    *,
    after_user: int,
    limit: int,
    name: str | None = None,
) -> list[asyncpg.Record]:
    """A keyset page (by user id) of the passback rows agora.lti.ags keeps for one line item,
    with each learner's name and email; `name` an agora.names.like_prefix pattern.

    Read here rather than through agora.lti.ags.select_passback_status, which returns every
    row at once: an assignment of a MOOC has 160,000 of them."""
    return await conn.fetch(
        """SELECT p.user_id, p.status, p.attempts, p.last_error, p.score_given, p.updated_at,
                  u.name, u.email
             FROM lti_score_passbacks p JOIN users u ON u.id = p.user_id
            WHERE p.course_id = $1 AND p.resource_id = $2 AND p.user_id > $3
              AND ($5::text IS NULL OR lower(u.name) LIKE $5 OR lower(u.family_name) LIKE $5
                   OR lower(u.email) LIKE $5)
            ORDER BY p.user_id LIMIT $4""",
        course_id,
        resource_id,
        after_user,
        limit,
        name,
    )
