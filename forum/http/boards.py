"""Boards of a course: list (with unread counts), create, rename/describe/archive, reorder."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, patch, post, put
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import PathId
from forum.schemas import BoardCreate, BoardOrder, BoardRead, BoardUpdate
from forum.service import boards as boards_service


class BoardRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @get("/boards")
    async def list_boards(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId
    ) -> dict[str, Any]:
        """The course's boards with thread and unread-thread counts (default board first made)."""
        return {
            "items": await boards_service.list_boards(db, principal, course_id),
            "next_cursor": None,
        }

    @post("/boards")
    async def create_board(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, data: JSONBody[BoardCreate]
    ) -> BoardRead:
        return await boards_service.create_board(db, principal, course_id, data)

    @patch("/boards/{board_id:int}")
    async def update_board(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        board_id: PathId,
        data: JSONBody[BoardUpdate],
    ) -> BoardRead:
        """Rename, reorder or archive a board (instructors)."""
        return await boards_service.update_board(db, principal, course_id, board_id, data)

    @put("/boards/order")
    async def reorder_boards(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, data: JSONBody[BoardOrder]
    ) -> dict[str, Any]:
        """List every board of the course in this order (instructors)."""
        return {
            "items": await boards_service.reorder_boards(db, principal, course_id, data),
            "next_cursor": None,
        }
