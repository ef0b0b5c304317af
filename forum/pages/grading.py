"""The graded-board page (staff): the rule (instructors set it), each learner's counts and
score (staff give scores on a 'staff' board), and sending the scores to the gradebook now.
Every rule is forum.service.grading's; the forms post what the JSON API takes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get, post

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.errors import BadRequest, NotFound
from agora.names import NameSearch
from agora.pagination import decode_cursor
from agora.params import Cursor, PathId
from forum import rules
from forum.pages.urls import COURSE
from forum.queries import boards as board_sql
from forum.schemas import BoardGradingUpdate, BoardScoreUpdate
from forum.service import grading as grading_service

SECTION = "moderation"
BOARD = COURSE + "/forum/boards/{board_id:int}/grading"


def _moment(value: str, field: str) -> str | None:
    """A datetime-local field (no zone: the form says UTC) as an ISO time in UTC."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
    except ValueError:
        raise BadRequest(f"`{field}` must be a date and time") from None


async def _page(
    request: Request[Any, Any, Any],
    db: Db,
    principal: CurrentPrincipal,
    board_id: int,
    *,
    cursor: str | None = None,
    q: str | None = None,
    saved: str = "",
) -> Response[Any]:
    course_id = principal.course_id
    if not principal.is_staff:
        raise NotFound("no such page")  # learners see their standing on the board itself
    board = await board_sql.select_board(db, course_id, board_id)
    if board is None:
        raise NotFound("no such board")
    graded = await grading_service.staff_view(db, principal, course_id, board_id, cursor, q)
    rule, learners = graded if graded is not None else (None, None)
    return await web.render_page(
        request, db, principal, "forum/board_grading.html", section=SECTION, board=board,
        rule=rule, learners=learners, q=q or "", saved=saved,
        can_set=rules.can_manage_boards(principal), fragment=False,
    )  # fmt: skip


@get(BOARD)
async def grading_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    q: NameSearch = None,
) -> Response[Any]:
    decode_cursor(cursor, (int,))  # a bad cursor is a 400 whether or not the board is graded
    return await _page(request, db, principal, board_id, cursor=cursor, q=q)


@post(BOARD, status_code=200)
async def save_rule(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await web.form_fields(request)
    raw: dict[str, Any] = {
        k: form[k] for k in ("mode", "points", "min_threads", "min_replies") if form.get(k)
    }
    raw["opens_at"] = _moment(form.get("opens_at", ""), "opens_at")
    raw["closes_at"] = _moment(form.get("closes_at", ""), "closes_at")
    data = web.convert_form(raw, BoardGradingUpdate)
    await grading_service.set_grading(db, principal, course_id, board_id, data)
    return await _page(request, db, principal, board_id, saved="saved")


@post(BOARD + "/remove", status_code=200)
async def remove_rule(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    await grading_service.remove_grading(db, principal, course_id, board_id)
    return await _page(request, db, principal, board_id, saved="removed")


@post(BOARD + "/send", status_code=200)
async def send_scores(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    await grading_service.send_now(db, principal, course_id, board_id)
    return await _page(request, db, principal, board_id, saved="sent")


@post(BOARD + "/learners/{user_id:int}", status_code=200)
async def give_score(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    user_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    data = await web.form_struct(request, BoardScoreUpdate)
    await grading_service.give_score(db, principal, course_id, board_id, user_id, data)
    return await _page(request, db, principal, board_id)


HANDLERS = [grading_page, save_rule, remove_rule, send_scores, give_score]
