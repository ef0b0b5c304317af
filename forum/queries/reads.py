"""Read positions: the highest sequence number a member has seen in a thread, never lowered."""

from __future__ import annotations

import asyncpg


async def upsert_read(
    conn: asyncpg.Connection, course_id: int, user_id: int, thread_id: int, seq: int
) -> int:
    """Move the read position up to `seq` (never back); the position now stored."""
    read_seq: int = await conn.fetchval(
        """INSERT INTO forum_reads (course_id, user_id, thread_id, read_seq)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (course_id, user_id, thread_id) DO UPDATE
              SET read_seq = greatest(forum_reads.read_seq, EXCLUDED.read_seq), read_at = now()
        RETURNING read_seq""",
        course_id,
        user_id,
        thread_id,
        seq,
    )
    return read_seq


async def upsert_read_unflushed(
    conn: asyncpg.Connection, course_id: int, user_id: int, thread_id: int, seq: int
) -> int:
    """`upsert_read` as its own transaction, committed without waiting for the disk flush
    (synchronous_commit off for this statement's transaction only). A page view's read mark is
    not worth a flush, which cost a thread page more than all its rendering: a database crash
    loses at most the last moments' marks (a post shows as new again). Never inside a write's
    transaction, whose commit it would make asynchronous too (forum.service.reads.mark_seen)."""
    read_seq: int = await conn.fetchval(
        """INSERT INTO forum_reads (course_id, user_id, thread_id, read_seq)
           SELECT $1::bigint, $2::bigint, $3::bigint, $4::integer
             FROM set_config('synchronous_commit', 'off', true)
           ON CONFLICT (course_id, user_id, thread_id) DO UPDATE
              SET read_seq = greatest(forum_reads.read_seq, EXCLUDED.read_seq), read_at = now()
        RETURNING read_seq""",
        course_id,
        user_id,
        thread_id,
        seq,
    )
    return read_seq
