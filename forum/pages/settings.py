"""Course administration pages: the forum settings (instructors change them, TAs read them) and
the boards (create, rename, describe, reorder, archive). Every rule is the service's; the forms
post what the JSON API takes, so a bad value is the same clear 4xx."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.errors import BadRequest, Unprocessable
from agora.params import PathId
from forum import rules
from forum.pages.urls import COURSE
from forum.schemas import BoardCreate, BoardUpdate, ForumSettingsUpdate
from forum.service import boards as boards_service
from forum.service import context as context_service
from forum.service import settings as settings_service

SECTION = "moderation"
FLAGS = ("question_post_first", "learners_create_boards")


async def _settings_page(
    request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, **extra: Any
) -> Response[Any]:
    current = await settings_service.get_settings(db, principal, principal.course_id)
    return await web.render_page(
        request, db, principal, "forum/settings.html", section=SECTION, tab="settings",
        current=current, s=current.settings, fragment=False, **extra,
    )  # fmt: skip


@get(COURSE + "/forum/settings")
async def settings_page(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    return await _settings_page(request, db, principal)


@post(COURSE + "/forum/settings", status_code=200)
async def save_settings(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    """The settings form: numbers as text, a checkbox per anonymity mode, on/off flags (a hidden
    "false" before each checkbox, so an unticked box turns the setting off)."""
    form = await request.form()
    fields = set(ForumSettingsUpdate.__struct_fields__) - {"anonymity", *FLAGS}
    raw: dict[str, Any] = {k: str(form.get(k)) for k in fields if form.get(k) not in (None, "")}
    raw["anonymity"] = [str(a) for a in form.getall("anonymity", [])]
    for flag in FLAGS:
        values = form.getall(flag, [])
        if values:
            raw[flag] = web.form_checked(str(values[-1]))
    if not raw["anonymity"]:
        # An unticked checkbox sends nothing: no mode at all is a mistake, not "no change".
        raise Unprocessable("allow at least one way to show the author's name")
    data = web.convert_form(raw, ForumSettingsUpdate)
    await settings_service.update_settings(db, principal, course_id, data)
    return await _settings_page(request, db, principal, saved=True)


# ---- boards ---------------------------------------------------------------------------------


async def _boards_page(
    request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, **extra: Any
) -> Response[Any]:
    boards = await boards_service.list_boards(db, principal, principal.course_id)
    ctx = await context_service.load_context(db, principal)
    return await web.render_page(
        request, db, principal, "forum/boards.html", section=SECTION, tab="boards",
        boards=boards, can_manage=rules.can_manage_boards(principal),
        can_create=rules.can_create_board(principal, ctx.settings), fragment=False, **extra,
    )  # fmt: skip


@get(COURSE + "/forum/boards")
async def boards_page(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    return await _boards_page(request, db, principal)


@post(COURSE + "/forum/boards", status_code=200)
async def create_board(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    data = await web.form_struct(request, BoardCreate)
    await boards_service.create_board(db, principal, course_id, data)
    return await _boards_page(request, db, principal, saved=True)


@post(COURSE + "/forum/boards/{board_id:int}", status_code=200)
async def update_board(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """Rename and describe (the edit form), or archive / bring back (a button)."""
    form = await web.form_fields(request)
    raw: dict[str, Any] = {k: form[k] for k in ("name", "description") if k in form}
    if "archived" in form:
        raw["archived"] = web.form_checked(form["archived"])
    data = web.convert_form(raw, BoardUpdate)
    await boards_service.update_board(db, principal, course_id, board_id, data)
    return await _boards_page(request, db, principal, saved=True)


@post(COURSE + "/forum/boards/{board_id:int}/move", status_code=200)
async def move_board(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    direction = (await web.form_fields(request)).get("direction", "")
    if direction not in ("up", "down"):
        raise BadRequest("direction is 'up' or 'down'")
    step = -1 if direction == "up" else 1
    await boards_service.move_board(db, principal, course_id, board_id, step)
    return await _boards_page(request, db, principal)


HANDLERS = [settings_page, save_settings, boards_page, create_board, update_board, move_board]
