"""SQL of self-assessments (one per submission) and of the steps' grade: the set-based update that
combines the peer estimate and the self-assessed total by the assignment's shares
(peerreview.steps)."""

from __future__ import annotations

import asyncpg

from peerreview.steps import Shares


async def upsert_self_assessment(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    submission_id: int,
    *,
    user_id: int,
    choices: list[int],
    scores: list[float],
    total: float,
    criterion_comments: list[str],
    comment: str,
    comment_html: str,
) -> asyncpg.Record:
    """Write (or replace) the submission's self-assessment."""
    row = await conn.fetchrow(
        """INSERT INTO pr_self_assessments (course_id, assignment_id, submission_id, user_id,
                choices, scores, total, criterion_comments, comment, comment_html)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (course_id, submission_id) DO UPDATE
               SET user_id = EXCLUDED.user_id, choices = EXCLUDED.choices,
                   scores = EXCLUDED.scores, total = EXCLUDED.total,
                   criterion_comments = EXCLUDED.criterion_comments,
                   comment = EXCLUDED.comment, comment_html = EXCLUDED.comment_html,
                   updated_at = now()
            RETURNING submission_id, assignment_id, user_id, choices, scores, total,
                  criterion_comments, comment, comment_html, created_at, updated_at""",
        course_id,
        assignment_id,
        submission_id,
        user_id,
        choices,
        scores,
        total,
        criterion_comments,
        comment,
        comment_html,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    return row


async def select_self_assessment(
    conn: asyncpg.Connection, course_id: int, submission_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT submission_id, assignment_id, user_id, choices, scores, total,
                  criterion_comments, comment, comment_html, created_at, updated_at
             FROM pr_self_assessments WHERE course_id = $1 AND submission_id = $2""",
        course_id,
        submission_id,
    )


async def insert_self_only_grades(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> int:
    """An assignment without peer review: a grade row for every submission (method 'self'), its
    steps' grade set by update_step_grades. Overrides and release state are kept."""
    status = await conn.execute(
        """INSERT INTO pr_grades (course_id, assignment_id, submission_id, method, n_reviews,
                peer_estimate, computed_at)
           SELECT s.course_id, s.assignment_id, s.id, 'self', 0, NULL, now()
             FROM pr_submissions s
            WHERE s.course_id = $1 AND s.assignment_id = $2
           ON CONFLICT (course_id, submission_id) DO UPDATE
              SET method = 'self', n_reviews = 0, peer_estimate = NULL, estimate = NULL,
                  criteria = '{}', confidence = NULL, spread = 0, doubt = 0, doubtful = false,
                  computed_at = now()""",
        course_id,
        assignment_id,
    )
    return int(status.split()[-1])


async def update_step_grades(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    shares: Shares,
    submission_id: int | None = None,
) -> None:
    """Set each grade's self score and steps' grade (`estimate`) from its peer estimate and
    self-assessment: peerreview.steps.combine in one statement (one submission's, or all).
    The owner's review-quality score, where the assignment gives it a weight, then counts for
    that share (peerreview.review_quality.blend_grade)."""
    await conn.execute(
        """UPDATE pr_grades g
              SET self_score = sa.total,
                  estimate = CASE WHEN $3::float8 > 0 AND g.peer_estimate IS NULL THEN NULL
                                  ELSE (1 - rq.share) * ($3::float8 * COALESCE(g.peer_estimate, 0)
                                                         + $4::float8 * COALESCE(sa.total, 0))
                                       + rq.share * COALESCE(g.review_quality, 0) / 100
                                         * a.points_possible END
             FROM pr_grades g2
             JOIN pr_assignments a ON a.course_id = g2.course_id AND a.id = g2.assignment_id
             CROSS JOIN LATERAL (
                 SELECT CASE WHEN g2.review_quality IS NULL THEN 0::float8
                             ELSE a.review_quality_weight / 100 END AS share) rq
             LEFT JOIN pr_self_assessments sa
                    ON sa.course_id = g2.course_id AND sa.submission_id = g2.submission_id
            WHERE g.course_id = $1 AND g.assignment_id = $2
              AND g2.course_id = g.course_id AND g2.submission_id = g.submission_id
              AND ($5::bigint IS NULL OR g.submission_id = $5)
              AND g.method <> 'override'""",
        course_id,
        assignment_id,
        shares.peer,
        shares.self,
        submission_id,
    )
