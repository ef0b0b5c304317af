"""Participation evidence snapshots (agora.evidence): the request, the build's result, the files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

_SUMMARY = """id, course_id, requested_by, from_at, to_at, status, error, learners, events, columns,
              totals, learners_sha256, log_sha256, signature, created_at, built_at,
              (SELECT name FROM users WHERE id = requested_by) AS requested_by_name"""


async def insert_export(
    conn: asyncpg.Connection, course_id: int, requested_by: int, start: datetime, end: datetime
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""INSERT INTO evidence_exports (course_id, requested_by, from_at, to_at)
            VALUES ($1, $2, $3, $4) RETURNING {_SUMMARY}""",  # noqa: S608 (constant)
        course_id,
        requested_by,
        start,
        end,
    )
    assert row is not None  # INSERT … RETURNING always answers its row
    return row


async def count_pending(conn: asyncpg.Connection, course_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM evidence_exports WHERE course_id = $1 AND status = 'pending'",
        course_id,
    )
    return count


async def select_export(
    conn: asyncpg.Connection, course_id: int, export_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_SUMMARY} FROM evidence_exports WHERE course_id = $1 AND id = $2",  # noqa: S608
        course_id,
        export_id,
    )


async def select_recent(conn: asyncpg.Connection, course_id: int, limit: int) -> list[Any]:
    return await conn.fetch(
        f"""SELECT {_SUMMARY} FROM evidence_exports WHERE course_id = $1
            ORDER BY id DESC LIMIT $2""",  # noqa: S608 (constant)
        course_id,
        limit,
    )


async def select_file(
    conn: asyncpg.Connection, course_id: int, export_id: int, column: str
) -> bytes | None:
    """The gzip bytes of one file of a ready export (`column` is one of two fixed names)."""
    if column not in ("learners_csv_gz", "log_csv_gz"):
        raise ValueError(column)
    data: bytes | None = await conn.fetchval(
        f"""SELECT {column} FROM evidence_exports
             WHERE course_id = $1 AND id = $2 AND status = 'ready'""",  # noqa: S608 - fixed names
        course_id,
        export_id,
    )
    return data


async def select_learner_batch(
    conn: asyncpg.Connection, course_id: int, after_user_id: int, limit: int
) -> list[asyncpg.Record]:
    """Learners of the course (those who left too: their work stays evidence), by user id."""
    return await conn.fetch(
        """SELECT m.user_id, u.name, u.email, m.active
             FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 AND m.role = 'learner' AND m.user_id > $2
            ORDER BY m.user_id LIMIT $3""",
        course_id,
        after_user_id,
        limit,
    )


async def select_course_title(conn: asyncpg.Connection, course_id: int) -> str:
    return await conn.fetchval("SELECT title FROM courses WHERE id = $1", course_id) or ""


async def mark_ready(
    conn: asyncpg.Connection, course_id: int, export_id: int, result: dict[str, Any]
) -> bool:
    """Store the build's result, once: a second run of the job finds the row no longer pending.
    (jsonb values are Python objects: the pool's codec encodes them.)"""
    status = await conn.execute(
        """UPDATE evidence_exports
              SET status = 'ready', learners = $3, events = $4, columns = $5::jsonb,
                  totals = $6::jsonb, learners_csv_gz = $7, log_csv_gz = $8,
                  learners_sha256 = $9, log_sha256 = $10, signature = $11, built_at = now()
            WHERE course_id = $1 AND id = $2 AND status = 'pending'""",
        course_id,
        export_id,
        result["learners"],
        result["events"],
        result["columns"],
        result["totals"],
        result["learners_csv_gz"],
        result["log_csv_gz"],
        result["learners_sha256"],
        result["log_sha256"],
        result["signature"],
    )
    return status.endswith(" 1")


async def mark_failed(conn: asyncpg.Connection, course_id: int, export_id: int, error: str) -> None:
    await conn.execute(
        """UPDATE evidence_exports SET status = 'failed', error = $3, built_at = now()
            WHERE course_id = $1 AND id = $2 AND status = 'pending'""",
        course_id,
        export_id,
        error,
    )
