"""SQL of review quality (grading the graders): the ratings a grading run reads, its set-based
store of every reviewer's score, the score each grade includes, and what a reviewer reads."""

from __future__ import annotations

import asyncpg
import msgspec


class ReviewQualityRow(msgspec.Struct, frozen=True, kw_only=True):
    """One `pr_review_quality` row: a reviewer's score and its parts."""

    user_id: int
    score: float
    agreement: float | None
    n_reviews: int
    mean_deviation: float | None
    calibration: float | None
    n_calibration: int
    calibration_deviation: float | None
    helpfulness: float | None
    n_rated: int
    mean_rating: float | None


async def select_ratings(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> asyncpg.Record:
    """Every rating peers' reviews received, as arrays (`reviewer`, `rating`); a review
    flagged as abusive counts as a rating of 1."""
    row = await conn.fetchrow(
        """SELECT coalesce(array_agg(reviewer_id ORDER BY id), '{}') AS reviewer,
                  coalesce(array_agg(CASE WHEN flagged THEN 1 ELSE helpfulness END ORDER BY id),
                           '{}') AS rating
             FROM pr_reviews
            WHERE course_id = $1 AND assignment_id = $2 AND NOT by_staff
              AND (helpfulness IS NOT NULL OR flagged)""",
        course_id,
        assignment_id,
    )
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row


async def replace_review_quality(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    users: list[int],
    score: list[float],
    agreement: list[float | None],
    n_reviews: list[int],
    mean_deviation: list[float | None],
    calibration: list[float | None],
    n_calibration: list[int],
    calibration_deviation: list[float | None],
    helpfulness: list[float | None],
    n_rated: list[int],
    mean_rating: list[float | None],
) -> None:
    """Store a grading run's scores set-based: each reviewer's row replaced, then the rows of
    reviewers this run no longer scores removed (an anti-join, not a scan of the list per row)."""
    await conn.execute(
        """INSERT INTO pr_review_quality AS q (course_id, assignment_id, user_id, score,
                      agreement, n_reviews, mean_deviation, calibration, n_calibration,
                      calibration_deviation, helpfulness, n_rated, mean_rating)
               SELECT $1, $2, x.* FROM unnest($3::bigint[], $4::float8[], $5::float8[],
                      $6::int[], $7::float8[], $8::float8[], $9::int[], $10::float8[],
                      $11::float8[], $12::int[], $13::float8[]) AS x
               ON CONFLICT (course_id, assignment_id, user_id) DO UPDATE
                  SET score = EXCLUDED.score, agreement = EXCLUDED.agreement,
                      n_reviews = EXCLUDED.n_reviews, mean_deviation = EXCLUDED.mean_deviation,
                      calibration = EXCLUDED.calibration,
                      n_calibration = EXCLUDED.n_calibration,
                      calibration_deviation = EXCLUDED.calibration_deviation,
                      helpfulness = EXCLUDED.helpfulness, n_rated = EXCLUDED.n_rated,
                      mean_rating = EXCLUDED.mean_rating, computed_at = now()""",
        course_id,
        assignment_id,
        users,
        score,
        agreement,
        n_reviews,
        mean_deviation,
        calibration,
        n_calibration,
        calibration_deviation,
        helpfulness,
        n_rated,
        mean_rating,
    )
    await conn.execute(
        """DELETE FROM pr_review_quality q
            WHERE q.course_id = $1 AND q.assignment_id = $2
              AND NOT EXISTS (SELECT 1 FROM unnest($3::bigint[]) AS u(id)
                               WHERE u.id = q.user_id)""",
        course_id,
        assignment_id,
        users,
    )


async def update_grades_review_quality(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> None:
    """Give each grade of the assignment its owner's review-quality score (a team's: its
    members' mean; NULL: none), which the steps' grade then blends in by the assignment's
    review-quality weight (peerreview.queries.self_assessments.update_step_grades)."""
    await conn.execute(
        """UPDATE pr_grades g SET review_quality = q.score
             FROM (SELECT o.id, avg(rq.score) AS score
                     FROM (SELECT s.id, s.author_id AS user_id FROM pr_submissions s
                            WHERE s.course_id = $1 AND s.assignment_id = $2 AND s.team IS NULL
                           UNION ALL
                           SELECT s.id, tm.user_id FROM pr_submissions s
                             JOIN pr_team_members tm ON tm.course_id = s.course_id
                                  AND tm.assignment_id = s.assignment_id AND tm.team = s.team
                            WHERE s.course_id = $1 AND s.assignment_id = $2) o
                     LEFT JOIN pr_review_quality rq ON rq.course_id = $1
                          AND rq.assignment_id = $2 AND rq.user_id = o.user_id
                    GROUP BY o.id) q
            WHERE g.course_id = $1 AND g.assignment_id = $2 AND g.submission_id = q.id
              AND g.review_quality IS DISTINCT FROM q.score""",
        course_id,
        assignment_id,
    )


async def select_review_quality(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, user_id: int
) -> ReviewQualityRow | None:
    row = await conn.fetchrow(
        """SELECT user_id, score, agreement, n_reviews, mean_deviation, calibration,
                  n_calibration, calibration_deviation, helpfulness, n_rated, mean_rating
             FROM pr_review_quality
            WHERE course_id = $1 AND assignment_id = $2 AND user_id = $3""",
        course_id,
        assignment_id,
        user_id,
    )
    return None if row is None else msgspec.convert(dict(row), ReviewQualityRow)


async def select_feedback_received(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, reviewer_id: int, *, limit: int
) -> list[asyncpg.Record]:
    """The reviewer's own reviews, oldest first, with the author's rating and flag (who rated
    is never read: an author is anonymous to their reviewer)."""
    return await conn.fetch(
        """SELECT id, total, helpfulness, flagged, created_at
             FROM pr_reviews
            WHERE course_id = $1 AND assignment_id = $2 AND reviewer_id = $3 AND NOT by_staff
            ORDER BY id LIMIT $4""",
        course_id,
        assignment_id,
        reviewer_id,
        limit,
    )


async def select_review_agreement(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> asyncpg.Record:
    """Every peer review counted in grading with the stored peer estimate of what it reviewed,
    as arrays (`reviewer`, `total`, `grade`; grade NULL where there is none): what a grading
    run scored agreement on, read back to rescore without refitting."""
    row = await conn.fetchrow(
        """SELECT coalesce(array_agg(r.reviewer_id ORDER BY r.id), '{}') AS reviewer,
                  coalesce(array_agg(r.total ORDER BY r.id), '{}') AS total,
                  coalesce(array_agg(g.peer_estimate ORDER BY r.id), '{}') AS grade
             FROM pr_reviews r
             LEFT JOIN pr_grades g
                    ON g.course_id = r.course_id AND g.submission_id = r.submission_id
            WHERE r.course_id = $1 AND r.assignment_id = $2 AND NOT r.by_staff
              AND NOT r.flagged""",
        course_id,
        assignment_id,
    )
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row


async def later_rescore_pending(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, outbox_id: int
) -> bool:
    """Whether a rescoring of this assignment was asked for after the outbox row `outbox_id`
    (that later job will read every rating given until then)."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM outbox
                           WHERE course_id = $1 AND job = 'peerreview_review_quality'
                             AND id > $3 AND args = jsonb_build_array($1::bigint, $2::bigint))""",
        course_id,
        assignment_id,
        outbox_id,
    )
    return found


async def select_review_quality_page(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    after: tuple[float, int] | None,
    limit: int,
    name: str | None = None,
) -> list[asyncpg.Record]:
    """A keyset page of every reviewer's score and its parts, worst first (ties by user id),
    with each reviewer's name and email; `after` the (score, user id) of the last row shown,
    `name` an agora.names.like_prefix pattern."""
    return await conn.fetch(
        """SELECT q.user_id, q.score, q.agreement, q.n_reviews, q.mean_deviation,
                  q.calibration, q.n_calibration, q.calibration_deviation, q.helpfulness,
                  q.n_rated, q.mean_rating, u.name, u.email
             FROM pr_review_quality q JOIN users u ON u.id = q.user_id
            WHERE q.course_id = $1 AND q.assignment_id = $2
              AND ($3::float8 IS NULL OR (q.score, q.user_id) > ($3::float8, $4::bigint))
              AND ($6::text IS NULL OR lower(u.name) LIKE $6 OR lower(u.family_name) LIKE $6
                   OR lower(u.email) LIKE $6)
            ORDER BY q.score, q.user_id LIMIT $5""",
        course_id,
        assignment_id,
        after[0] if after else None,
        after[1] if after else 0,
        limit,
        name,
    )
