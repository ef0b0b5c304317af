"""Boards: the course's categories of threads. Instructors manage them (create, rename, describe,
reorder, archive; each change in the moderation log); learners may create them where the course
says so; everyone lists them."""

from __future__ import annotations

import asyncpg

from agora.errors import Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_text
from agora.sessions import Principal
from forum import rules
from forum.presenters import board_view
from forum.queries import boards as board_sql
from forum.queries import moderation as mod_sql
from forum.schemas import BoardCreate, BoardOrder, BoardRead, BoardUpdate
from forum.service.context import load_context

MAX_BOARDS = 100


async def list_boards(
    conn: asyncpg.Connection, principal: Principal, course_id: int
) -> list[BoardRead]:
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    await board_sql.insert_default_board(conn, course_id)
    rows = await board_sql.select_boards(
        conn, course_id, principal.user_id, staff=rules.sees_hidden(principal), limit=MAX_BOARDS
    )
    return [board_view(r) for r in rows]


def _require_board_manager(principal: Principal, what: str) -> None:
    if not rules.can_manage_boards(principal):
        raise Forbidden(f"only instructors {what} boards")


async def create_board(
    conn: asyncpg.Connection, principal: Principal, course_id: int, data: BoardCreate
) -> BoardRead:
    ctx = await load_context(conn, principal, course_id)
    ctx.require_write()
    if not rules.can_create_board(principal, ctx.settings):
        raise Forbidden("only instructors create boards in this course")
    await board_sql.insert_default_board(conn, course_id)
    if await board_sql.count_boards(conn, course_id) >= MAX_BOARDS:
        raise Unprocessable(f"a course has at most {MAX_BOARDS} boards")
    name = clean_text(data.name)
    if not name:
        raise Unprocessable("the board name is empty once markup is removed")
    row = await board_sql.insert_board(
        conn, course_id, name=name, description=clean_text(data.description),
        position=data.position,
    )  # fmt: skip
    await mod_sql.insert_mod_action(
        conn, course_id, principal.user_id, "board_create", target_kind="board",
        target_id=row["id"], reason="", details={"name": name},
    )  # fmt: skip
    return board_view(row)


async def update_board(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    board_id: int,
    data: BoardUpdate,
) -> BoardRead:
    principal.require_course(course_id)
    _require_board_manager(principal, "change")
    board = await board_sql.select_board(conn, course_id, board_id)
    if board is None:
        raise NotFound("no such board")
    if data.archived and board["is_default"]:
        raise Conflict("the default board cannot be archived")
    row = await board_sql.update_board(
        conn,
        course_id,
        board_id,
        name=clean_text(data.name) if data.name is not None else None,
        description=clean_text(data.description) if data.description is not None else None,
        position=data.position,
        archived=data.archived,
    )
    if row is None:
        raise NotFound("no such board")
    changed = {
        k: [board[k], row[k]]
        for k in ("name", "description", "position", "archived")
        if board[k] != row[k]
    }
    if changed:
        await mod_sql.insert_mod_action(
            conn, course_id, principal.user_id, "board_update", target_kind="board",
            target_id=board_id, reason="", details={"changed": changed},
        )  # fmt: skip
    return board_view(row)


async def reorder_boards(
    conn: asyncpg.Connection, principal: Principal, course_id: int, data: BoardOrder
) -> list[BoardRead]:
    """List the boards in the order given: every board of the course, each once."""
    principal.require_course(course_id)
    _require_board_manager(principal, "reorder")
    await board_sql.insert_default_board(conn, course_id)
    current = await board_sql.select_board_order(conn, course_id)
    if len(set(data.board_ids)) != len(data.board_ids):
        raise Unprocessable("a board appears twice in board_ids")
    if set(data.board_ids) != set(current):
        raise Unprocessable("board_ids must list every board of the course once, and no other")
    if data.board_ids != current:
        await board_sql.update_board_positions(conn, course_id, data.board_ids)
        await mod_sql.insert_mod_action(
            conn, course_id, principal.user_id, "boards_reorder", target_kind="course",
            target_id=course_id, reason="", details={"order": data.board_ids},
        )  # fmt: skip
    return await list_boards(conn, principal, course_id)


async def move_board(
    conn: asyncpg.Connection, principal: Principal, course_id: int, board_id: int, step: int
) -> list[BoardRead]:
    """Move a board one place up (step -1) or down (+1) in the list."""
    principal.require_course(course_id)
    _require_board_manager(principal, "reorder")
    order = await board_sql.select_board_order(conn, course_id)
    if board_id not in order:
        raise NotFound("no such board")
    i = order.index(board_id)
    j = min(max(i + step, 0), len(order) - 1)
    order[i], order[j] = order[j], order[i]
    return await reorder_boards(conn, principal, course_id, BoardOrder(board_ids=order))
