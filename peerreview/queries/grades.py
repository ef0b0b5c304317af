"""SQL of grades: a grading run's set-based store, the lists staff read (all, the doubtful
queue), overrides, and release. A grade row is read into the `Grade` Struct."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec


class Grade(msgspec.Struct, frozen=True, kw_only=True):
    """One `pr_grades` row: the model's estimate, an override if any, and `final_score`
    (the override when set, else the estimate), keyed by its submission."""

    submission_id: int
    assignment_id: int
    estimate: float | None
    criteria: list[float]
    confidence: float | None
    method: str
    n_reviews: int
    spread: float
    doubt: float
    doubtful: bool
    override_score: float | None
    override_reason: str
    final_score: float | None
    computed_at: datetime
    released_at: datetime | None
    peer_estimate: float | None = None  # the peer model's; `estimate` combines the steps
    self_score: float | None = None
    late_penalty: float = 0.0  # the fraction `final_score` loses to lateness (no override)
    # Who submitted it, for staff lists (select_grades, select_doubtful); None elsewhere.
    author_id: int | None = None
    author_name: str = ""
    author_email: str = ""


# The grade columns with the submitter, for the staff lists (constant SQL, joined not formatted).
STAFF_LIST = """SELECT g.submission_id, g.assignment_id, g.estimate, g.criteria, g.confidence,
                  g.method, g.n_reviews, g.spread, g.doubt, g.doubtful, g.override_score,
                  g.override_reason, g.final_score, g.computed_at, g.released_at, g.peer_estimate,
                  g.self_score, g.late_penalty,
                  s.author_id, u.name AS author_name, u.email AS author_email
             FROM pr_grades g
             JOIN pr_submissions s ON s.course_id = g.course_id AND s.id = g.submission_id
             JOIN users u ON u.id = s.author_id"""


class GradingResult(msgspec.Struct, frozen=True, kw_only=True):
    """A grading run as parallel columns, one entry per graded submission."""

    method: str
    submission: list[int]
    estimate: list[float]
    criteria: list[str]  # one PostgreSQL array literal per grade, e.g. "{1.5,4.0}"
    confidence: list[float]
    n_reviews: list[int]
    spread: list[float]
    doubt: list[float]
    doubtful: list[bool]


def _grade(row: asyncpg.Record | None) -> Grade | None:
    return None if row is None else msgspec.convert(dict(row), Grade)


async def upsert_grades(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, result: GradingResult
) -> None:
    """Store a grading run in one statement; overrides and release state are kept."""
    await conn.execute(
        """INSERT INTO pr_grades (course_id, assignment_id, submission_id, estimate, criteria,
               confidence, method, n_reviews, spread, doubt, doubtful, computed_at, peer_estimate)
           SELECT $1, $2, x.s, x.e, x.c::float8[], x.conf, $3, x.n, x.sp, x.d, x.dbt, now(), x.e
             FROM unnest($4::bigint[], $5::float8[], $6::text[], $7::float8[], $8::int[],
                         $9::float8[], $10::float8[], $11::bool[])
                  AS x(s, e, c, conf, n, sp, d, dbt)
           ON CONFLICT (course_id, submission_id) DO UPDATE
              SET estimate = EXCLUDED.estimate, criteria = EXCLUDED.criteria,
                  confidence = EXCLUDED.confidence, method = EXCLUDED.method,
                  n_reviews = EXCLUDED.n_reviews, spread = EXCLUDED.spread,
                  doubt = EXCLUDED.doubt, doubtful = EXCLUDED.doubtful,
                  computed_at = EXCLUDED.computed_at, peer_estimate = EXCLUDED.peer_estimate""",
        course_id,
        assignment_id,
        result.method,
        result.submission,
        result.estimate,
        result.criteria,
        result.confidence,
        result.n_reviews,
        result.spread,
        result.doubt,
        result.doubtful,
    )
    # Uncertain submissions get extra reviewers first in dynamic allocation.
    await conn.execute(
        """UPDATE pr_submissions s SET uncertain = x.dbt
             FROM unnest($2::bigint[], $3::bool[]) AS x(id, dbt)
            WHERE s.course_id = $1 AND s.id = x.id AND s.uncertain IS DISTINCT FROM x.dbt""",
        course_id,
        result.submission,
        result.doubtful,
    )


async def upsert_grader_stats(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    users: list[int],
    bias: list[float],
    reliability: list[float | None],
    suspect: list[bool],
) -> None:
    """The calibrated model's view of each grader (one row per user, replaced by each run)."""
    await conn.execute(
        """INSERT INTO pr_grader_stats (course_id, assignment_id, user_id, bias, reliability,
               suspect)
           SELECT $1, $2, u, b, r, s
             FROM unnest($3::bigint[], $4::float8[], $5::float8[], $6::bool[]) AS x(u, b, r, s)
           ON CONFLICT (course_id, assignment_id, user_id) DO UPDATE
              SET bias = EXCLUDED.bias, reliability = EXCLUDED.reliability,
                  suspect = EXCLUDED.suspect, computed_at = now()""",
        course_id,
        assignment_id,
        users,
        bias,
        reliability,
        suspect,
    )


async def select_grade(
    conn: asyncpg.Connection, course_id: int, submission_id: int
) -> Grade | None:
    row = await conn.fetchrow(
        """SELECT submission_id, assignment_id, estimate, criteria, confidence, method, n_reviews,
                  spread, doubt, doubtful, override_score, override_reason, final_score,
                  computed_at, released_at, peer_estimate, self_score, late_penalty
             FROM pr_grades WHERE course_id = $1 AND submission_id = $2""",
        course_id,
        submission_id,
    )
    return _grade(row)


async def select_grades(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    after_id: int,
    limit: int,
    name: str | None = None,
) -> list[Grade]:
    """Every grade by submission id, with its submitter; `name` a like_prefix pattern."""
    rows = await conn.fetch(
        STAFF_LIST
        + """
            WHERE g.course_id = $1 AND g.assignment_id = $2 AND g.submission_id > $3
              AND ($5::text IS NULL OR lower(u.name) LIKE $5 OR lower(u.family_name) LIKE $5
                   OR lower(u.email) LIKE $5)
            ORDER BY g.submission_id LIMIT $4""",
        course_id,
        assignment_id,
        after_id,
        limit,
        name,
    )
    return [msgspec.convert(dict(row), Grade) for row in rows]


async def select_doubtful(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    after: tuple[float, int] | None,
    limit: int,
) -> list[Grade]:
    """The instructor queue: doubtful grades not yet overridden, most doubtful first."""
    doubt, after_id = after if after else (None, 0)
    rows = await conn.fetch(
        STAFF_LIST
        + """
            WHERE g.course_id = $1 AND g.assignment_id = $2 AND g.doubtful
              AND g.override_score IS NULL
              AND ($3::float8 IS NULL
                   OR (g.doubt < $3 OR (g.doubt = $3 AND g.submission_id > $4)))
            ORDER BY g.doubt DESC, g.submission_id LIMIT $5""",
        course_id,
        assignment_id,
        doubt,
        after_id,
        limit,
    )
    return [msgspec.convert(dict(row), Grade) for row in rows]


async def set_override(
    conn: asyncpg.Connection,
    course_id: int,
    submission_id: int,
    *,
    score: float | None,
    reason: str,
    by: int,
) -> Grade | None:
    """Set (or clear, with score None) the override of an existing grade; None if no grade."""
    row = await conn.fetchrow(
        """UPDATE pr_grades SET override_score = $3, override_reason = $4, overridden_by = $5,
                overridden_at = now()
             WHERE course_id = $1 AND submission_id = $2
         RETURNING submission_id, assignment_id, estimate, criteria, confidence, method,
                  n_reviews, spread, doubt, doubtful, override_score, override_reason,
                  final_score, computed_at, released_at, peer_estimate, self_score, late_penalty""",
        course_id,
        submission_id,
        score,
        reason,
        by,
    )
    return _grade(row)


async def insert_override_grade(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    submission_id: int,
    *,
    score: float,
    reason: str,
    by: int,
) -> Grade:
    """An override on a submission that has no computed grade yet."""
    row = await conn.fetchrow(
        """INSERT INTO pr_grades (course_id, assignment_id, submission_id, method,
                override_score, override_reason, overridden_by, overridden_at)
            VALUES ($1, $2, $3, 'override', $4, $5, $6, now())
            RETURNING submission_id, assignment_id, estimate, criteria, confidence, method,
                  n_reviews, spread, doubt, doubtful, override_score, override_reason,
                  final_score, computed_at, released_at, peer_estimate, self_score, late_penalty""",
        course_id,
        assignment_id,
        submission_id,
        score,
        reason,
        by,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    return msgspec.convert(dict(row), Grade)


async def release_grades(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    """Release the assignment's unreleased grades to learners; returns how many."""
    status = await conn.execute(
        """UPDATE pr_grades SET released_at = now()
            WHERE course_id = $1 AND assignment_id = $2 AND released_at IS NULL""",
        course_id,
        assignment_id,
    )
    return int(status.split()[-1])
