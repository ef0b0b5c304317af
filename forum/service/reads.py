"""Read positions: what a member has seen of a thread (unread counts and "new" marks)."""

from __future__ import annotations

from typing import Any

import asyncpg

from agora.errors import NotFound
from agora.sessions import Principal
from forum import rules
from forum.queries import reads as read_sql
from forum.queries import threads as thread_sql


async def mark_read(
    conn: asyncpg.Connection, principal: Principal, thread_id: int, seq: int | None
) -> dict[str, Any]:
    """Read up to `seq` (the whole thread when None); a read position never moves back."""
    thread = await thread_sql.select_thread(conn, principal.course_id, thread_id)
    if thread is None or not rules.can_see_thread(principal, thread):
        raise NotFound("no such thread")
    target = thread.post_seq if seq is None else min(seq, thread.post_seq)
    read_seq = await read_sql.upsert_read(
        conn, principal.course_id, principal.user_id, thread_id, target
    )
    return {"thread_id": thread_id, "read_seq": read_seq}


async def mark_seen(
    conn: asyncpg.Connection, principal: Principal, thread_id: int, seq: int
) -> None:
    """Read up to `seq`, which the viewer was just shown in the thread (read_thread already
    checked they may see it): the position alone, without looking the thread up again. A page
    view commits it without waiting for the disk; an action's page (in its write transaction)
    commits it with the action, flushed."""
    if conn.is_in_transaction():
        await read_sql.upsert_read(conn, principal.course_id, principal.user_id, thread_id, seq)
    else:
        await read_sql.upsert_read_unflushed(
            conn, principal.course_id, principal.user_id, thread_id, seq
        )
