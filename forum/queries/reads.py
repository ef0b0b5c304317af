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


async def upsert_read_after_own_post(
    conn: asyncpg.Connection,
    course_id: int,
    user_id: int,
    thread_id: int,
    *,
    seq: int,
    prev_last: int,
) -> None:
    """Your own post is never unread; if you had seen everything before it, you still have.

    `seq` is the new post's sequence number, `prev_last` the thread's last visible one before it.
    """
    await conn.execute(
        """INSERT INTO forum_reads (course_id, user_id, thread_id, read_seq)
           VALUES ($1, $2, $3, CASE WHEN $5 = 0 THEN $4 ELSE 0 END)
           ON CONFLICT (course_id, user_id, thread_id) DO UPDATE
              SET read_seq = CASE WHEN forum_reads.read_seq >= $5 THEN $4
                                  ELSE forum_reads.read_seq END,
                  read_at = now()""",
        course_id,
        user_id,
        thread_id,
        seq,
        prev_last,
    )
