"""Boards: the course's categories of threads. Instructors manage them; everyone lists them."""

from __future__ import annotations

import asyncpg

from agora.errors import Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_text
from agora.sessions import Principal
from forum import rules
from forum.presenters import board_view
from forum.queries import boards as board_sql
from forum.schemas import BoardCreate, BoardRead, BoardUpdate
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
    principal.require_course(course_id)
    _require_board_manager(principal, "create")
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
    return board_view(row)
