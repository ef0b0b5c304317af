"""SQL of reviews: peers' and staff's scorings of a submission, the author's feedback on them,
and the review matrix a grading run reads."""

from __future__ import annotations

import asyncpg
import msgspec


class ReviewContent(msgspec.Struct, frozen=True, kw_only=True):
    """What a reviewer writes: the rubric choices, their points, and the comments."""

    choices: list[int]
    scores: list[float]
    total: float
    criterion_comments: list[str]
    comment: str
    comment_html: str


async def insert_review(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    submission_id: int,
    reviewer_id: int,
    allocation_id: int | None,
    by_staff: bool,
    content: ReviewContent,
) -> asyncpg.Record:
    """Store a review; a reviewer's second review of the same submission replaces the first."""
    row = await conn.fetchrow(
        """INSERT INTO pr_reviews (course_id, assignment_id, submission_id, reviewer_id,
                allocation_id, by_staff, choices, scores, total, criterion_comments, comment,
                comment_html)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (course_id, assignment_id, submission_id, reviewer_id) DO UPDATE
               SET choices = EXCLUDED.choices, scores = EXCLUDED.scores, total = EXCLUDED.total,
                   criterion_comments = EXCLUDED.criterion_comments, comment = EXCLUDED.comment,
                   comment_html = EXCLUDED.comment_html, updated_at = now()
            RETURNING id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff,
                  choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at, (xmax = 0) AS created""",
        course_id,
        assignment_id,
        submission_id,
        reviewer_id,
        allocation_id,
        by_staff,
        content.choices,
        content.scores,
        content.total,
        content.criterion_comments,
        content.comment,
        content.comment_html,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    return row


async def update_review(
    conn: asyncpg.Connection, course_id: int, review_id: int, content: ReviewContent
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """UPDATE pr_reviews SET choices = $3, scores = $4, total = $5,
                criterion_comments = $6, comment = $7, comment_html = $8, updated_at = now()
             WHERE course_id = $1 AND id = $2
         RETURNING id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff,
                  choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at""",
        course_id,
        review_id,
        content.choices,
        content.scores,
        content.total,
        content.criterion_comments,
        content.comment,
        content.comment_html,
    )


async def select_review(
    conn: asyncpg.Connection, course_id: int, review_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff, choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at, comment FROM pr_reviews WHERE course_id = $1 AND id = $2""",
        course_id,
        review_id,
    )


async def select_reviews_of_submission(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    submission_id: int,
    *,
    after_id: int,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT r.id, r.assignment_id, r.submission_id, r.reviewer_id, r.allocation_id,
                  r.by_staff, r.choices, r.scores, r.total, r.criterion_comments, r.comment_html,
                  r.helpfulness, r.flagged, r.flag_reason, r.created_at,
                  u.name AS reviewer_name, u.email AS reviewer_email
             FROM pr_reviews r JOIN users u ON u.id = r.reviewer_id
             WHERE r.course_id = $1 AND r.assignment_id = $2 AND r.submission_id = $3
               AND r.id > $4
             ORDER BY r.id LIMIT $5""",
        course_id,
        assignment_id,
        submission_id,
        after_id,
        limit,
    )


async def mark_reviewed(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    submission_id: int,
    *,
    k: int,
    max_spread: float,
) -> None:
    """Count a completed review; with k or more peer reviews whose totals disagree (sample sd
    above max_spread) the submission becomes uncertain and gets extra reviewers first."""
    await conn.execute(
        """UPDATE pr_submissions s SET reviews_done = s.reviews_done + 1,
                  uncertain = coalesce(r.n >= $4 AND r.sd > $5, false)
             FROM (SELECT count(*) AS n, stddev_samp(total) AS sd FROM pr_reviews
                    WHERE course_id = $1 AND assignment_id = $2 AND submission_id = $3
                      AND NOT by_staff) r
            WHERE s.course_id = $1 AND s.id = $3""",
        course_id,
        assignment_id,
        submission_id,
        k,
        max_spread,
    )


async def set_review_feedback(
    conn: asyncpg.Connection,
    course_id: int,
    review_id: int,
    *,
    helpfulness: int | None = None,
    flag_reason: str | None = None,
) -> asyncpg.Record | None:
    """Set the author's helpfulness rating and/or abuse flag (a flag cannot be withdrawn)."""
    return await conn.fetchrow(
        """UPDATE pr_reviews
               SET helpfulness = COALESCE($3, helpfulness),
                   flagged = flagged OR $4::text IS NOT NULL,
                   flag_reason = COALESCE($4, flag_reason)
             WHERE course_id = $1 AND id = $2
         RETURNING id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff,
                  choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at""",
        course_id,
        review_id,
        helpfulness,
        flag_reason,
    )


async def select_review_matrix(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> asyncpg.Record:
    """All reviews of an assignment as parallel arrays: one round trip, no per-row work.

    Flagged (abusive) reviews are left out of grading."""
    row = await conn.fetchrow(
        """SELECT coalesce(array_agg(submission_id ORDER BY id), '{}') AS submission,
                  coalesce(array_agg(reviewer_id ORDER BY id), '{}') AS reviewer,
                  coalesce(array_agg(by_staff ORDER BY id), '{}') AS by_staff,
                  coalesce(array_agg(total ORDER BY id), '{}') AS total,
                  coalesce(array_agg(scores ORDER BY id), '{}') AS scores
             FROM pr_reviews
            WHERE course_id = $1 AND assignment_id = $2 AND NOT flagged""",
        course_id,
        assignment_id,
    )
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row
