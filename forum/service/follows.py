"""Following a thread, a board, or (staff) every new thread of the course."""

from __future__ import annotations

import asyncpg

from agora.errors import Forbidden, NotFound
from agora.sessions import Principal
from forum import rules
from forum.queries import boards as board_sql
from forum.queries import follows as follow_sql
from forum.queries import threads as thread_sql
from forum.schemas import FollowRead
from forum.service.context import load_context


async def set_follow(
    conn: asyncpg.Connection, principal: Principal, kind: str, target_id: int, following: bool
) -> FollowRead:
    """Follow or unfollow; `kind` is "thread", "board" or "course" (whose target_id is 0)."""
    ctx = await load_context(conn, principal)
    ctx.require_read()
    course_id = principal.course_id
    if kind == "thread":
        thread = await thread_sql.select_thread(conn, course_id, target_id)
        if thread is None or not rules.can_see_thread(principal, thread):
            raise NotFound("no such thread")
    elif kind == "board":
        if await board_sql.select_board(conn, course_id, target_id) is None:
            raise NotFound("no such board")
    else:
        if not rules.can_follow_course(principal):
            raise Forbidden("only instructors and teaching assistants can do this")
        target_id = 0
    if following:
        await follow_sql.insert_follow(conn, course_id, principal.user_id, kind, target_id)
    else:
        await follow_sql.delete_follow(conn, course_id, principal.user_id, kind, target_id)
    return FollowRead(target_kind=kind, target_id=target_id, following=following)
