"""SQL of grade passback: the released final score of every learner, for the LMS."""

from __future__ import annotations

import asyncpg


async def select_release_scores(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, after_user: int, limit: int
) -> list[asyncpg.Record]:
    """Final score per learner (each team member gets the team's), keyset by user id."""
    return await conn.fetch(
        """SELECT u.user_id, g.final_score,
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
            WHERE g.course_id = $1 AND g.assignment_id = $2 AND g.final_score IS NOT NULL
              AND g.released_at IS NOT NULL AND u.user_id > $3
            ORDER BY u.user_id LIMIT $4""",
        course_id,
        assignment_id,
        after_user,
        limit,
    )
