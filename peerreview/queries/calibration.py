"""SQL of calibration: the instructor's scored examples and the learners' answers to them."""

from __future__ import annotations

import asyncpg


async def insert_example(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    body: str,
    body_html: str,
    choices: list[int],
    scores: list[float],
    total: float,
    explanation: str,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO pr_calibration_examples (course_id, assignment_id, body, body_html, choices,
               scores, total, explanation)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING id, body_html, choices, scores, total, explanation""",
        course_id,
        assignment_id,
        body,
        body_html,
        choices,
        scores,
        total,
        explanation,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    return row


async def select_examples(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> list[asyncpg.Record]:
    """The assignment's examples in the order learners score them (at most 100)."""
    return await conn.fetch(
        """SELECT id, body_html, choices, scores, total, explanation
             FROM pr_calibration_examples
            WHERE course_id = $1 AND assignment_id = $2 ORDER BY id LIMIT 100""",
        course_id,
        assignment_id,
    )


async def select_answers(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, user_id: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT example_id, choices, scores, total FROM pr_calibration_answers
            WHERE course_id = $1 AND assignment_id = $2 AND user_id = $3""",
        course_id,
        assignment_id,
        user_id,
    )


async def insert_answer(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    example_id: int,
    user_id: int,
    choices: list[int],
    scores: list[float],
    total: float,
) -> asyncpg.Record | None:
    """The learner's answer; None if they had already answered this example (answers stand)."""
    return await conn.fetchrow(
        """INSERT INTO pr_calibration_answers (course_id, assignment_id, example_id, user_id,
               choices, scores, total)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (course_id, example_id, user_id) DO NOTHING
           RETURNING example_id""",
        course_id,
        assignment_id,
        example_id,
        user_id,
        choices,
        scores,
        total,
    )


async def select_all_answers(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> asyncpg.Record:
    """Every calibration answer of the assignment beside its reference, as arrays."""
    row = await conn.fetchrow(
        """SELECT coalesce(array_agg(a.user_id), '{}') AS grader,
                  coalesce(array_agg(a.total), '{}') AS total,
                  coalesce(array_agg(e.total), '{}') AS truth,
                  coalesce(array_agg(a.scores), '{}') AS scores,
                  coalesce(array_agg(e.scores), '{}') AS truth_scores
             FROM pr_calibration_answers a
             JOIN pr_calibration_examples e ON e.course_id = a.course_id AND e.id = a.example_id
            WHERE a.course_id = $1 AND a.assignment_id = $2""",
        course_id,
        assignment_id,
    )
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row


async def any_answer(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> bool:
    """Whether any learner has scored one of the assignment's examples."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM pr_calibration_answers
                           WHERE course_id = $1 AND assignment_id = $2)""",
        course_id,
        assignment_id,
    )
    return found


async def update_example_scores(
    conn: asyncpg.Connection,
    course_id: int,
    *,
    ids: list[int],
    scores: list[list[float]],
    totals: list[float],
) -> None:
    """Each example's reference scores and total again (one per id, in the same order; at most
    100 examples, one pipelined statement each)."""
    await conn.executemany(
        """UPDATE pr_calibration_examples SET scores = $3, total = $4
            WHERE course_id = $1 AND id = $2""",
        [(course_id, i, sc, t) for i, sc, t in zip(ids, scores, totals, strict=True)],
    )
