"""SQL of submissions: one per learner, or per team in team assignments (the owner key)."""

from __future__ import annotations

import asyncpg


async def upsert_submission(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    owner_key: str,
    author_id: int,
    team: str | None,
    body: str,
    body_html: str,
) -> asyncpg.Record:
    """Create or replace the owner's submission; the row's `created` says which happened."""
    row = await conn.fetchrow(
        """INSERT INTO pr_submissions (course_id, assignment_id, owner_key, author_id, team,
                body, body_html)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (course_id, assignment_id, owner_key) DO UPDATE
               SET body = EXCLUDED.body, body_html = EXCLUDED.body_html,
                   author_id = EXCLUDED.author_id, updated_at = now()
            RETURNING id, assignment_id, owner_key, author_id, team, body, body_html,
                  review_load, reviews_done, uncertain, created_at, updated_at,
                  (xmax = 0) AS created""",
        course_id,
        assignment_id,
        owner_key,
        author_id,
        team,
        body,
        body_html,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    return row


async def count_submissions(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM pr_submissions WHERE course_id = $1 AND assignment_id = $2",
        course_id,
        assignment_id,
    )
    return count


async def select_submission(
    conn: asyncpg.Connection, course_id: int, submission_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, assignment_id, owner_key, author_id, team, body, body_html,
                  review_load, reviews_done, uncertain, created_at, updated_at
             FROM pr_submissions WHERE course_id = $1 AND id = $2""",
        course_id,
        submission_id,
    )


async def select_submission_of_owner(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, owner_key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, assignment_id, owner_key, author_id, team, body, body_html,
                  review_load, reviews_done, uncertain, created_at, updated_at FROM pr_submissions
             WHERE course_id = $1 AND assignment_id = $2 AND owner_key = $3""",
        course_id,
        assignment_id,
        owner_key,
    )


async def select_submissions(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, after_id: int, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, assignment_id, owner_key, author_id, team, body, body_html,
                  review_load, reviews_done, uncertain, created_at, updated_at FROM pr_submissions
             WHERE course_id = $1 AND assignment_id = $2 AND id > $3
             ORDER BY id LIMIT $4""",
        course_id,
        assignment_id,
        after_id,
        limit,
    )
