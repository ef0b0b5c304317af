"""Finding one's way in the forum: home (boards), thread lists, new thread, similar-title
suggestions, search, notifications."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

import asyncpg
from litestar import Request, Response, get, post
from litestar.params import FromQuery

from agora import media, web
from agora.deps import AppSettings, CurrentPrincipal, Db, Files, Redis
from agora.errors import NotFound
from agora.params import Cursor, PathId, QueryId
from agora.schemas import MAX_ID
from agora.sessions import Principal
from forum import rules
from forum.pages.thread import anonymity_options, live_fragment, thread_view
from forum.pages.urls import COURSE, SECTION, base_url, thread_url
from forum.schemas import NotificationsMark, ThreadCreate, ThreadPublish
from forum.service import attachments as attachments_service
from forum.service import boards as boards_service
from forum.service import context as context_service
from forum.service import grading as grading_service
from forum.service import notifications as notifications_service
from forum.service import search as search_service
from forum.service import threads as threads_service

SORTS = ("activity", "new", "votes", "replies")
FILTERS = ("unread", "unanswered", "unresponded", "following", "mine", "flagged", "private")
KINDS = ("question", "discussion", "notes")


async def home_view(db: asyncpg.Connection, principal: Principal, _target: Any = None) -> web.View:
    boards = await boards_service.list_boards(db, principal, principal.course_id)
    ctx = await context_service.load_context(db, principal)
    return "forum/home.html", {
        "boards": boards,
        "can_create_board": rules.can_create_board(principal, ctx.settings),
        "can_moderate": rules.can_moderate(principal),
        "can_manage_boards": rules.can_manage_boards(principal),
        "section": "forum",
        "page_url": f"{base_url(principal.course_id)}/forum",
    }


async def threads_view(
    db: asyncpg.Connection,
    principal: Principal,
    board_id: int | None = None,
    *,
    sort: str = "activity",
    filter: str = "",
    kind: str = "",
    cursor: str | None = None,
) -> web.View:
    """One page of the course's (or a board's) threads; unknown sorts and filters fall back to
    the defaults rather than failing (they come from links and forms)."""
    course_id = principal.course_id
    board = None
    if board_id is not None:
        boards = await boards_service.list_boards(db, principal, course_id)
        board = next((b for b in boards if b.id == board_id), None)
        if board is None:
            raise NotFound("no such board")
    sort = sort if sort in SORTS else "activity"
    filter = filter if filter in FILTERS else ""
    kind = kind if kind in KINDS else ""
    page = await threads_service.list_threads(
        db,
        principal,
        course_id,
        sort=sort,
        board_id=board.id if board else None,
        kind=kind or None,
        filters=frozenset([filter]) if filter else frozenset(),
        cursor=cursor,
    )
    list_url = (
        f"{base_url(course_id)}/forum/boards/{board.id}"
        if board
        else f"{base_url(course_id)}/forum/threads"
    )
    query = {k: v for k, v in (("sort", sort), ("filter", filter), ("kind", kind)) if v}
    more_url = ""
    if page.next_cursor:
        more_url = list_url + "?" + urlencode(query | {"cursor": page.next_cursor})
    return "forum/threads.html", {
        "board": board,
        "page": page,
        "sort": sort,
        "filter": filter,
        "kind": kind,
        "cursor": cursor,
        "list_url": list_url,
        "more_url": more_url,
        "can_see_flags": rules.can_see_flags(principal),  # the "Flagged" filter
        "section": "forum",
        "page_url": list_url + ("?" + urlencode(query) if query else ""),
    }


async def board_target(
    db: asyncpg.Connection, principal: Principal, board_id: int | None
) -> web.View:
    """What a launch linked to a board shows (no board: the forum home)."""
    if board_id is None:
        return await home_view(db, principal)
    return await threads_view(db, principal, board_id)


@get(COURSE + "/forum")
async def forum_home(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    return await web.render_view(
        request, db, principal, await home_view(db, principal), section=SECTION
    )


async def _thread_list(
    request: Request[Any, Any, Any], db: asyncpg.Connection, principal: Principal,
    board_id: int | None, sort: str, filter: str, kind: str, cursor: str | None,
) -> Response[Any]:  # fmt: skip
    """The list page, or only its rows for htmx (filter changes, infinite scroll)."""
    view = await threads_view(
        db, principal, board_id, sort=sort, filter=filter, kind=kind, cursor=cursor
    )
    if web.is_fragment_request(request):
        return await web.render_fragment(
            request, db, principal, "forum/_thread_rows.html", **view[1]
        )
    graded = None
    board = view[1]["board"]
    if board is not None and board.graded:  # a graded board tells the reader where they stand
        graded = await grading_service.progress(db, principal, principal.course_id, board.id)
    return await web.render_view(request, db, principal, view, section=SECTION, graded=graded)


@get(COURSE + "/forum/threads")
async def thread_list(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    sort: FromQuery[str] = "activity",
    filter: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    cursor: Cursor = None,
) -> Response[Any]:
    return await _thread_list(request, db, principal, None, sort, filter, kind, cursor)


@get(COURSE + "/forum/boards/{board_id:int}")
async def board_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    sort: FromQuery[str] = "activity",
    filter: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    cursor: Cursor = None,
) -> Response[Any]:
    return await _thread_list(request, db, principal, board_id, sort, filter, kind, cursor)


@get(COURSE + "/forum/new")
async def new_thread_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    board: QueryId = None,
    kind: FromQuery[str] = "question",
    to: QueryId = None,
) -> Response[Any]:
    """The new-thread form; `to`: staff write privately to this learner."""
    boards = await boards_service.list_boards(db, principal, course_id)
    recipient = (
        None
        if to is None
        else {"id": to, "name": await threads_service.recipient_name(db, principal, to)}
    )
    ctx = await context_service.load_context(db, principal)
    return await web.render_page(
        request,
        db,
        principal,
        "forum/new_thread.html",
        section="forum",
        boards=boards,
        board_id=board or next((b.id for b in boards if b.is_default), None),
        kind=kind if kind in KINDS else "question",
        anonymity_options=anonymity_options(ctx.settings),
        post_first_default=rules.default_post_first(
            ctx.settings, kind if kind in KINDS else "question"
        ),
        recipient=recipient,
        can_announce=rules.can_announce(principal),
    )


@post(COURSE + "/forum/threads", status_code=200, request_max_body_size=media.UPLOAD_BODY_BYTES)
async def create_thread(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    redis: Redis,
    principal: CurrentPrincipal,
    store: Files,
    settings: AppSettings,
) -> Response[Any]:
    """Post the new-thread form (with files for its opening post: notes shared before an exam);
    answer with the thread's page (and push its URL)."""
    data = await web.form_struct(request, ThreadCreate)
    uploads = await media.read_uploads(request, "files", max_bytes=settings.attachment_max_bytes)
    created = await threads_service.create_thread(db, redis, principal, course_id, data)
    if uploads:  # in the thread's transaction: a refused file leaves no thread either
        await attachments_service.attach_files(
            db, store, settings, principal, created.posts[0].id, uploads
        )
    view = await thread_view(db, principal, created.thread.id)
    response = await web.render_view(request, db, principal, view, section=SECTION, fragment=False)
    return web.push_url(response, thread_url(course_id, created.thread.id))


@post(COURSE + "/forum/threads/{thread_id:int}/publish", status_code=200)
async def publish_thread(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """Staff make a private thread public; answer with the thread's live part."""
    data = await web.form_struct(request, ThreadPublish)
    await threads_service.make_public(db, principal, thread_id, data)
    return await live_fragment(request, db, principal, thread_id)


@get(COURSE + "/forum/similar")
async def similar(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    redis: Redis,
    principal: CurrentPrincipal,
    title: FromQuery[str] = "",
) -> Response[Any]:
    page = await search_service.similar_threads(db, redis, principal, course_id, title[:300], None)
    return await web.render_fragment(
        request, db, principal, "forum/_similar.html", similar=page.items, section=SECTION
    )


@get(COURSE + "/forum/search")
async def search_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    redis: Redis,
    principal: CurrentPrincipal,
    q: FromQuery[str] = "",
    cursor: Cursor = None,
    board: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    answered: FromQuery[str] = "",
    author: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
) -> Response[Any]:
    """Search with the page's filters; values a form cannot send (a board id that is not a
    number, an unknown kind, a malformed date) are no filter rather than an error."""
    q = q.strip()[:200]
    staff_author = rules.can_search_by_author(principal)
    filters = search_service.SearchFilters(
        board_id=_board_id(board),
        kind=kind if kind in KINDS else None,
        answered={"yes": True, "no": False}.get(answered),
        author=(author.strip()[:100] or None) if staff_author else None,
        since=_day(since),
        until=_day(until),
    )
    if filters.since and filters.until and filters.since > filters.until:  # typed the other way
        filters = replace(filters, since=filters.until, until=filters.since)
    results = (
        await search_service.search_posts(db, redis, principal, course_id, q, cursor, None, filters)
        if q
        else None
    )
    query = {"q": q, "board": board, "kind": kind, "answered": answered, "author": author,
             "since": since, "until": until}  # fmt: skip
    return await web.render_page(
        request, db, principal, "forum/search.html", section="search", q=q, results=results,
        filters=filters, boards=await boards_service.list_boards(db, principal, course_id),
        can_filter_by_author=staff_author,
        query=urlencode({k: v for k, v in query.items() if v}),
    )  # fmt: skip


def _board_id(value: str) -> int | None:
    if value.isascii() and value.isdigit() and len(value) <= 19 and 0 < int(value) <= MAX_ID:
        return int(value)
    return None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@get(COURSE + "/notifications")
async def notifications_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
) -> Response[Any]:
    notes = await notifications_service.notifications(
        db, principal, course_id, unread_only=False, cursor=cursor, limit=None
    )
    return await web.render_page(
        request, db, principal, "forum/notifications.html", section="notifications", notes=notes
    )


@post(COURSE + "/notifications/read", status_code=200)
async def notifications_read(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    """Mark all as read; answer with the whole notifications page."""
    await notifications_service.mark_notifications(
        db, principal, course_id, NotificationsMark(all=True)
    )
    notes = await notifications_service.notifications(
        db, principal, course_id, unread_only=False, cursor=None, limit=None
    )
    return await web.render_page(
        request, db, principal, "forum/notifications.html", section="notifications",
        notes=notes, fragment=False,
    )  # fmt: skip


HANDLERS = [
    forum_home,
    thread_list,
    board_page,
    new_thread_page,
    create_thread,
    publish_thread,
    similar,
    search_page,
    notifications_page,
    notifications_read,
]
