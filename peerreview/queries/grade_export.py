"""SQL of the staff's grade export: one row per learner (each team member gets the team's grade),
read a keyset batch at a time so a MOOC's 160,000 rows never sit in memory at once."""

from __future__ import annotations

import asyncpg


async def select_export_batch(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, after_user: int, limit: int
) -> list[asyncpg.Record]:
    """The next `limit` learners after `after_user` with their grade, by user id."""
    return await conn.fetch(
        """SELECT m.user_id, u.name, u.email, u.sub, g.submission_id, g.final_score,
                  g.peer_estimate AS estimate, g.confidence, g.n_reviews,
                  g.override_score IS NOT NULL AS overridden, g.override_reason,
                  g.released_at IS NOT NULL AS released
             FROM pr_grades g
             JOIN pr_submissions s ON s.course_id = g.course_id AND s.id = g.submission_id
             CROSS JOIN LATERAL (
                 SELECT s.author_id AS user_id WHERE s.team IS NULL
                 UNION
                 SELECT tm.user_id FROM pr_team_members tm
                  WHERE s.team IS NOT NULL AND tm.course_id = s.course_id
                    AND tm.assignment_id = s.assignment_id AND tm.team = s.team
             ) m
             JOIN users u ON u.id = m.user_id
            WHERE g.course_id = $1 AND g.assignment_id = $2 AND m.user_id > $3
            ORDER BY m.user_id LIMIT $4""",
        course_id,
        assignment_id,
        after_user,
        limit,
    )
