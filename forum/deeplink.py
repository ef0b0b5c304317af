"""What the forum offers the deep-linking picker: the course forum, its boards, a new board."""

from __future__ import annotations

import asyncpg

from agora.lti.deeplink import N_, Pickable, Source
from agora.sessions import Principal
from agora.web import convert_form
from forum.schemas import BoardCreate, BoardRead
from forum.service import boards, grading

FORUM = Pickable(id=None, title=N_("Course forum"), text=N_("The course's discussion forum."))


def _pickable(board: BoardRead, points: float | None = None) -> Pickable:
    """A graded board carries its line item (the LMS makes its gradebook column)."""
    return Pickable(
        id=board.id, title=board.name, text=board.description, score_maximum=points,
        resource_id=grading.resource_id(board.id) if points is not None else "",
    )  # fmt: skip


async def _forum(conn: asyncpg.Connection, principal: Principal) -> list[Pickable]:
    return [FORUM]


async def _find_forum(
    conn: asyncpg.Connection, principal: Principal, item_id: int | None
) -> Pickable | None:
    return FORUM if item_id is None else None


async def _boards(conn: asyncpg.Connection, principal: Principal) -> list[Pickable]:
    listed = await boards.list_boards(conn, principal, principal.course_id)
    points = await grading.graded_points(conn, principal.course_id)
    return [_pickable(b, points.get(b.id)) for b in listed if not b.archived]


async def _find_board(
    conn: asyncpg.Connection, principal: Principal, item_id: int | None
) -> Pickable | None:
    return next((b for b in await _boards(conn, principal) if b.id == item_id), None)


async def _new_board(conn: asyncpg.Connection, principal: Principal, title: str) -> Pickable:
    data = convert_form({"name": title}, BoardCreate)  # the API's limits: 400 beyond them
    created = await boards.create_board(conn, principal, principal.course_id, data)
    return _pickable(created)


SOURCES = [
    Source(
        kind="forum",
        heading=N_("Forum"),
        list_items=_forum,
        find=_find_forum,
        localized=True,
    ),
    Source(
        kind="board",
        heading=N_("Boards"),
        list_items=_boards,
        find=_find_board,
        create=_new_board,
        new_label=N_("A new board titled"),
        default_text=N_("A board of the course forum."),
    ),
]
