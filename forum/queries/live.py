"""The state a live event reports: the thread's and (optionally) one post's, as committed."""

from __future__ import annotations

import asyncpg

EVENT_SQL = """
SELECT t.id AS thread_id, t.board_id, t.pinned, t.locked, t.closed, t.hidden AS thread_hidden,
       t.deleted AS thread_deleted, t.answered, t.duplicate_of, t.reply_count, t.post_first,
       t.score AS thread_score, t.private_to,
       p.id AS post_id, p.parent_id, p.seq, p.author_id, p.anonymity, p.score, p.hidden,
       p.deleted, p.endorsed, p.accepted, p.edited_at, u.name AS author_name,
       m.role AS author_role
  FROM forum_threads t
  LEFT JOIN forum_posts p ON p.course_id = t.course_id AND p.id = $3
  LEFT JOIN users u ON u.id = p.author_id
  LEFT JOIN memberships m ON m.course_id = t.course_id AND m.user_id = p.author_id
 WHERE t.course_id = $1 AND t.id = $2
"""


async def select_event_state(
    conn: asyncpg.Connection, course_id: int, thread_id: int, post_id: int | None
) -> asyncpg.Record | None:
    """The thread's state, with the post's columns (all None without a post or when the post is
    not found)."""
    return await conn.fetchrow(EVENT_SQL, course_id, thread_id, post_id)
