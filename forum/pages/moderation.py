"""Staff pages: the moderation queue, the learners page (activity, mutes and bans), the
moderation log, and the thread tools (state, move, duplicate) that answer with the thread's live
part."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import QueryParameter

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.errors import BadRequest
from agora.names import NameSearch
from agora.params import Cursor, PathId
from agora.schemas import MAX_ID
from agora.web import form_fields, form_struct
from forum.pages.thread import live_fragment
from forum.pages.urls import COURSE, THREAD, base_url, export_url
from forum.schemas import (
    FlagResolve,
    RestrictionCreate,
    RestrictionRead,
    ThreadDuplicate,
    ThreadMove,
    ThreadStateChange,
)
from forum.service import moderation as moderation_service
from forum.service import stats as stats_service

SECTION = "moderation"


@get(COURSE + "/moderation")
async def moderation_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
) -> Response[Any]:
    queue = await moderation_service.queue(db, principal, course_id, cursor, None)
    return await web.render_page(
        request, db, principal, "forum/moderation.html", section=SECTION, queue=queue,
        tab="queue", export_url=export_url(course_id),
    )  # fmt: skip


@get(COURSE + "/moderation/learners")
async def learners_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
) -> Response[Any]:
    stats = await stats_service.learner_stats(db, principal, course_id, cursor, None)
    current = await moderation_service.restrictions(db, principal, course_id, None)
    by_user: dict[int, RestrictionRead] = {}
    for r in current.items:
        # A ban outranks a mute when a learner has both.
        if r.user_id not in by_user or r.kind == "ban":
            by_user[r.user_id] = r
    return await web.render_page(
        request, db, principal, "forum/learners.html", section=SECTION, stats=stats,
        restrictions=by_user, tab="learners", export_url=export_url(course_id),
    )  # fmt: skip


@post(COURSE + "/moderation/posts/{post_id:int}/resolve", status_code=200)
async def resolve(
    request: Request[Any, Any, Any],
    course_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    data = await form_struct(request, FlagResolve)
    await moderation_service.resolve_flags(db, principal, post_id, data)
    return await web.render_fragment(
        request, db, principal, "forum/_resolved.html", section=SECTION, action=data.action
    )


@post(COURSE + "/moderation/members/{user_id:int}/restrict", status_code=200)
async def restrict(
    request: Request[Any, Any, Any],
    course_id: PathId,
    user_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    data = await form_struct(request, RestrictionCreate)
    result = await moderation_service.restrict(db, principal, course_id, user_id, data)
    member = {"user_id": user_id, "can_restrict": True}  # the service restricts learners only
    return await web.render_fragment(
        request, db, principal, "forum/_restriction.html", section=SECTION, r=result, s=member
    )


@post(COURSE + "/moderation/members/{user_id:int}/lift", status_code=200)
async def lift(
    request: Request[Any, Any, Any],
    course_id: PathId,
    user_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    kind = (await form_fields(request)).get("kind", "")
    await moderation_service.lift(db, principal, course_id, user_id, kind)
    member = {"user_id": user_id, "can_restrict": True}  # the service restricts learners only
    return await web.render_fragment(
        request, db, principal, "forum/_restriction.html", section=SECTION, r=None, s=member
    )


@post(THREAD + "/state", status_code=200)
async def thread_state(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    data = await form_struct(request, ThreadStateChange)
    await moderation_service.change_thread_state(db, principal, thread_id, data)
    return await live_fragment(request, db, principal, thread_id)


@post(THREAD + "/move", status_code=200)
async def move(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    await moderation_service.move_thread(
        db, principal, thread_id, await form_struct(request, ThreadMove)
    )
    return await live_fragment(request, db, principal, thread_id)


@post(THREAD + "/duplicate", status_code=200)
async def duplicate(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    data = await form_struct(request, ThreadDuplicate)
    await moderation_service.mark_duplicate(db, principal, thread_id, data)
    return await live_fragment(request, db, principal, thread_id)


FilterText = Annotated[str, QueryParameter(max_length=20)]
ActionFilter = Annotated[str, QueryParameter(pattern=r"^[a-z_]{0,40}$")]


def _form_id(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise BadRequest("moderator must be a member's id")
    return int(value)


def _form_day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a day, YYYY-MM-DD") from None


# The actions the log's filter offers, in the order a moderator thinks of them.
LOG_ACTIONS = (
    "post_hide", "post_restore", "flags_hidden", "flags_dismissed",
    "post_edit", "post_delete", "revision_redact",
    "thread_pin", "thread_unpin", "thread_lock", "thread_unlock", "thread_close", "thread_reopen",
    "thread_hide", "thread_restore", "thread_move", "thread_duplicate",
    "mute", "unmute", "ban", "unban",
    "board_create", "board_update", "boards_reorder", "settings_change",
)  # fmt: skip


@get(COURSE + "/moderation/log")
async def log_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    action: ActionFilter = "",
    moderator: FilterText = "",
    learner_name: NameSearch = None,
    since: FilterText = "",
    until: FilterText = "",
) -> Response[Any]:
    """The moderation log: who did what, when and why, filterable, a page at a time. The
    filter form sends every field, empty ones as "" (no filter), so they arrive as text."""
    since_day, until_day = _form_day(since, "since"), _form_day(until, "until")
    moderator_id = _form_id(moderator)
    filters = moderation_service.log_filter(
        action=action or None, moderator=moderator_id, learner_name=learner_name,
        since=since_day, until=until_day,
    )  # fmt: skip
    log = await moderation_service.audit_log(db, principal, course_id, cursor, None, filters)
    query: dict[str, Any] = {
        "action": action or "", "moderator": moderator_id or "",
        "learner_name": learner_name or "",
        "since": since_day.isoformat() if since_day else "",
        "until": until_day.isoformat() if until_day else "",
    }  # fmt: skip
    query = {k: v for k, v in query.items() if v}
    moderators = await moderation_service.moderators(db, principal, course_id)
    more_url = ""
    if log.next_cursor:
        more_url = f"{base_url(course_id)}/moderation/log?" + urlencode(
            query | {"cursor": log.next_cursor}
        )
    return await web.render_page(
        request, db, principal, "forum/modlog.html", section=SECTION, tab="log", log=log,
        actions=LOG_ACTIONS, moderators=moderators, f=query, more_url=more_url,
        export_url=export_url(course_id),
    )  # fmt: skip


HANDLERS = [
    moderation_page, learners_page, log_page, resolve, restrict, lift, thread_state, move,
    duplicate,
]  # fmt: skip
