"""Server-rendered forum pages (collected by agora.app). Thin: forum.service does every rule.

Actions posted by htmx answer with the fragment they replace (usually the thread's live part),
so one code path renders a thread whether it was just opened, changed, or updated live.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery

from agora import web
from agora.deps import CurrentPrincipal, Db, Redis
from agora.errors import BadRequest, NotFound
from agora.sessions import Principal
from forum import activity, moderation, service
from forum.schemas import (
    FlagCreate,
    FlagResolve,
    PostCreate,
    PostUpdate,
    RestrictionCreate,
    ThreadCreate,
    ThreadDuplicate,
    ThreadMove,
    ThreadStateChange,
)

web.register_templates("forum", Path(__file__).parent / "templates")

C = "/courses/{course_id:int}"
T = C + "/forum/threads/{thread_id:int}"
P = T + "/posts/{post_id:int}"
SORTS = ("activity", "new", "votes", "replies")
FILTERS = ("unread", "unanswered", "unresponded", "following", "mine", "flagged")
KINDS = ("question", "discussion", "notes")


def base_url(course_id: int) -> str:
    return f"{web.PAGE_PREFIX}/courses/{course_id}"


def thread_url(course_id: int, thread_id: int) -> str:
    return f"{base_url(course_id)}/forum/threads/{thread_id}"


def export_url(course_id: int) -> str:
    return f"/api/v1/courses/{course_id}/export/participation.csv"


def events_url(course_id: int) -> str:
    return f"/api/v1/courses/{course_id}/events"


async def form_struct(request: Request, struct: type, **fixed):
    """A form post decoded into one of the forum's input Structs (400 problem if invalid).

    Only the Struct's fields are taken; empty strings mean "not given" so defaults apply."""
    form = await request.form()
    fields = set(struct.__struct_fields__)
    raw = {k: v for k, v in form.items() if k in fields and v != ""}
    raw.update(fixed)
    try:
        return msgspec.convert(raw, struct, strict=False)
    except msgspec.ValidationError as error:
        raise BadRequest(str(error)) from None


def _fragment(template: str, **context) -> Response:
    """A part of a page; `context` holds the shared page context (locale included)."""
    return web.html_response(web.render(template, **context))


async def _shared(db, principal: Principal, request: Request, section: str = "forum") -> dict:
    from agora.sessions import token_from

    shared = await web.page_context(db, principal, token_from(request) or "", section)
    shared["fragment"] = web.is_fragment_request(request)
    return shared


# ---- what the launch page shows (and what the GET pages render) --------------------------------


async def home_view(db, principal: Principal, _target=None) -> tuple[str, dict]:
    boards = await service.list_boards(db, principal, principal.course_id)
    return "forum/home.html", {
        "boards": boards,
        "section": "forum",
        "page_url": f"{base_url(principal.course_id)}/forum",
    }


async def threads_view(
    db,
    principal: Principal,
    board_id=None,
    *,
    sort: str = "activity",
    filter: str = "",
    kind: str = "",
    cursor: str | None = None,
) -> tuple[str, dict]:
    course_id = principal.course_id
    board = None
    if board_id is not None:
        boards = await service.list_boards(db, principal, course_id)
        board = next((b for b in boards if b.id == int(board_id)), None)
        if board is None:
            raise NotFound("no such board")
    sort = sort if sort in SORTS else "activity"
    filter = filter if filter in FILTERS else ""
    kind = kind if kind in KINDS else ""
    page = await service.list_threads(
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
        "section": "forum",
        "page_url": list_url + ("?" + urlencode(query) if query else ""),
    }


async def thread_view(
    db, principal: Principal, thread_id, *, cursor: str | None = None
) -> tuple[str, dict]:
    """The thread with one page of posts; what the viewer has now seen is marked read.

    No board counts here (the hot path): only staff get the board list, for "move"."""
    thread_id = int(thread_id)
    view = await service.read_thread(db, principal, thread_id, cursor=cursor)
    seen = max((p.seq for p in view.posts if p.unread), default=0)
    if seen:
        await service.mark_read(db, principal, thread_id, seen)
    ctx = await service.context(db, principal)
    t = view.thread
    muted = "mute" in ctx.restrictions
    boards = (
        await service.list_boards(db, principal, principal.course_id) if principal.is_staff else []
    )
    return "forum/thread.html", {
        "view": view,
        "thread_url": thread_url(principal.course_id, thread_id),
        "events_url": events_url(principal.course_id),
        "boards": boards,
        "board_name": next((b.name for b in boards if b.id == t.board_id), ""),
        "can_reply": not muted and (principal.is_staff or not (t.locked or t.closed)),
        "muted": muted,
        "max_depth": ctx.settings.max_depth,
        "anonymity_options": _anonymity_options(ctx),
        "section": "forum",
        "page_url": thread_url(principal.course_id, thread_id),
    }


def _anonymity_options(ctx) -> list[str]:
    return ["none", *[a for a in ctx.settings.anonymity if a != "none"]]


async def _target_board(db, principal: Principal, board_id):
    if board_id is None:
        return await home_view(db, principal)
    return await threads_view(db, principal, board_id)


web.register_target("forum", home_view)
web.register_target("board", _target_board)
web.register_target("thread", thread_view)


async def _page(request: Request, db, principal: Principal, view: tuple[str, dict], **extra):
    template, context = view
    section = context.pop("section", "forum")
    return await web.render_page(
        request, db, principal, template, section=section, **context, **extra
    )


# ---- GET pages ----------------------------------------------------------------------------------


@get(C + "/forum")
async def forum_home(
    request: Request, course_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> Response:
    principal.require_course(course_id)
    return await _page(request, db, principal, await home_view(db, principal))


async def _thread_list(request, course_id, db, principal, board_id, sort, filter, kind, cursor):
    principal.require_course(course_id)
    template, context = await threads_view(
        db, principal, board_id, sort=sort, filter=filter, kind=kind, cursor=cursor
    )
    if web.is_fragment_request(request):
        shared = await _shared(db, principal, request)
        return _fragment("forum/_thread_rows.html", **(shared | context))
    return await _page(request, db, principal, (template, context))


@get(C + "/forum/threads")
async def thread_list(
    request: Request,
    course_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    sort: FromQuery[str] = "activity",
    filter: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Response:
    return await _thread_list(request, course_id, db, principal, None, sort, filter, kind, cursor)


@get(C + "/forum/boards/{board_id:int}")
async def board_page(
    request: Request,
    course_id: FromPath[int],
    board_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    sort: FromQuery[str] = "activity",
    filter: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Response:
    return await _thread_list(
        request, course_id, db, principal, board_id, sort, filter, kind, cursor
    )


@get(T)
async def thread_page(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    return await _page(request, db, principal, await thread_view(db, principal, thread_id))


async def _live(request: Request, db, principal: Principal, thread_id: FromPath[int]) -> Response:
    """The thread's live part (header and posts), after an action or a live event."""
    _, context = await thread_view(db, principal, thread_id)
    shared = await _shared(db, principal, request)
    return _fragment("forum/_thread_live.html", **(shared | context))


@get(T + "/live")
async def thread_live(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    return await _live(request, db, principal, thread_id)


@get(T + "/posts")
async def more_posts(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: FromQuery[str | None] = None,
) -> Response:
    principal.require_course(course_id)
    _, context = await thread_view(db, principal, thread_id, cursor=cursor)
    page = {"items": context["view"].posts, "next_cursor": context["view"].next_cursor}
    shared = await _shared(db, principal, request)
    return _fragment("forum/_more_posts.html", **(shared | context), page=page)


@get(C + "/forum/new")
async def new_thread_page(
    request: Request,
    course_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    board: FromQuery[int | None] = None,
    kind: FromQuery[str] = "question",
) -> Response:
    principal.require_course(course_id)
    boards = await service.list_boards(db, principal, course_id)
    ctx = await service.context(db, principal)
    return await web.render_page(
        request,
        db,
        principal,
        "forum/new_thread.html",
        section="forum",
        boards=boards,
        board_id=board or next((b.id for b in boards if b.is_default), None),
        kind=kind if kind in KINDS else "question",
        anonymity_options=_anonymity_options(ctx),
    )


@get(C + "/forum/similar")
async def similar(
    request: Request,
    course_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    title: FromQuery[str] = "",
) -> Response:
    page = await service.similar_threads(db, principal, course_id, title[:300], None)
    shared = await _shared(db, principal, request)
    return _fragment("forum/_similar.html", **shared, similar=page.items)


@get(C + "/forum/search")
async def search_page(
    request: Request,
    course_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    q: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Response:
    principal.require_course(course_id)
    q = q.strip()[:200]
    results = await service.search(db, principal, course_id, q, cursor, None) if q else None
    return await web.render_page(
        request, db, principal, "forum/search.html", section="search", q=q, results=results
    )


@get(C + "/notifications")
async def notifications_page(
    request: Request,
    course_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: FromQuery[str | None] = None,
) -> Response:
    notes = await activity.notifications(
        db, principal, course_id, unread_only=False, cursor=cursor, limit=None
    )
    return await web.render_page(
        request, db, principal, "forum/notifications.html", section="notifications", notes=notes
    )


@get(C + "/moderation")
async def moderation_page(
    request: Request,
    course_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: FromQuery[str | None] = None,
) -> Response:
    queue = await moderation.queue(db, principal, course_id, cursor, None)
    return await web.render_page(
        request, db, principal, "forum/moderation.html", section="moderation", queue=queue,
        tab="queue", export_url=export_url(course_id),
    )  # fmt: skip


@get(C + "/moderation/learners")
async def learners_page(
    request: Request,
    course_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: FromQuery[str | None] = None,
) -> Response:
    stats = await activity.learner_stats(db, principal, course_id, cursor, None)
    current = await moderation.restrictions(db, principal, course_id, None)
    by_user = {}
    for r in current.items:
        # A ban outranks a mute when a learner has both.
        if r.user_id not in by_user or r.kind == "ban":
            by_user[r.user_id] = r
    return await web.render_page(
        request, db, principal, "forum/learners.html", section="moderation", stats=stats,
        restrictions=by_user, tab="learners", export_url=export_url(course_id),
    )  # fmt: skip


# ---- actions ------------------------------------------------------------------------------------


@post(C + "/forum/threads", status_code=200)
async def create_thread(
    request: Request, course_id: FromPath[int], db: Db, redis: Redis, principal: CurrentPrincipal
) -> Response:
    principal.require_course(course_id)
    data = await form_struct(request, ThreadCreate)
    created = await service.create_thread(db, redis, principal, course_id, data)
    response = await _page(
        request, db, principal, await thread_view(db, principal, created.thread.id), fragment=False
    )
    response.headers["HX-Push-Url"] = thread_url(course_id, created.thread.id)
    return response


@post(T + "/posts", status_code=200)
async def create_reply(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    db: Db,
    redis: Redis,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    await service.create_post(
        db, redis, principal, thread_id, await form_struct(request, PostCreate)
    )
    return await _live(request, db, principal, thread_id)


@get(P + "/reply")
async def reply_form(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    _, context = await thread_view(db, principal, thread_id)
    shared = await _shared(db, principal, request)
    return _fragment("forum/_reply_form.html", **(shared | context), parent=post_id,
        form_id=str(post_id),
    )  # fmt: skip


def _flag(form_value: str | None) -> bool:
    return form_value in ("1", "true", "on")


@post(P + "/vote", status_code=200)
async def vote(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await request.form()
    await service.vote(db, principal, post_id, 1 if _flag(form.get("value")) else 0)
    return await _live(request, db, principal, thread_id)


@post(P + "/accept", status_code=200)
async def accept(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await request.form()
    await service.accept_answer(db, principal, post_id, _flag(form.get("accepted")))
    return await _live(request, db, principal, thread_id)


@post(P + "/endorse", status_code=200)
async def endorse(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await request.form()
    await service.endorse(db, principal, post_id, _flag(form.get("endorsed")))
    return await _live(request, db, principal, thread_id)


@get(P + "/edit")
async def edit_form(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    post_read = await service.get_post(db, principal, post_id)
    if post_read.body is None:
        raise NotFound("you cannot edit this post")
    shared = await _shared(db, principal, request)
    return _fragment("forum/_post_edit.html", **shared, post=post_read,
        thread_url=thread_url(course_id, thread_id),
    )  # fmt: skip


@post(P + "/edit", status_code=200)
async def edit(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    await service.edit_post(db, principal, post_id, await form_struct(request, PostUpdate))
    return await _live(request, db, principal, thread_id)


@get(P + "/history")
async def history(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    revisions = await service.revisions(db, principal, post_id, None, None)
    shared = await _shared(db, principal, request)
    return _fragment("forum/_revisions.html", **shared, revisions=revisions)


@post(P + "/flag", status_code=200)
async def flag(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    result = await moderation.flag_post(
        db, principal, post_id, await form_struct(request, FlagCreate)
    )
    shared = await _shared(db, principal, request)
    return _fragment("forum/_flagged.html", **shared, flag=result)


async def _set_hidden(request, course_id, thread_id, post_id, db, principal, hidden: bool):
    principal.require_course(course_id)
    form = await request.form()
    reason = str(form.get("reason") or "")[:500]
    await service.set_post_hidden(db, principal, post_id, hidden, reason)
    return await _live(request, db, principal, thread_id)


@post(P + "/hide", status_code=200)
async def hide(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    return await _set_hidden(request, course_id, thread_id, post_id, db, principal, True)


@post(P + "/restore", status_code=200)
async def restore(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    return await _set_hidden(request, course_id, thread_id, post_id, db, principal, False)


@post(T + "/follow", status_code=200)
async def follow_thread(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await request.form()
    result = await service.set_follow(db, principal, "thread", thread_id, _flag(form.get("follow")))
    shared = await _shared(db, principal, request)
    view = {"thread": {"following": result.following}}
    return _fragment("forum/_follow_thread.html", **shared, view=view)


@post(C + "/forum/boards/{board_id:int}/follow", status_code=200)
async def follow_board(
    request: Request,
    course_id: FromPath[int],
    board_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await request.form()
    result = await service.set_follow(db, principal, "board", board_id, _flag(form.get("follow")))
    shared = await _shared(db, principal, request)
    board = {"id": board_id, "following": result.following}
    return _fragment("forum/_follow_board.html", **shared, board=board)


@post(T + "/state", status_code=200)
async def thread_state(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    data = await form_struct(request, ThreadStateChange)
    await service.change_thread_state(db, principal, thread_id, data)
    return await _live(request, db, principal, thread_id)


@post(T + "/move", status_code=200)
async def move(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    await service.move_thread(db, principal, thread_id, await form_struct(request, ThreadMove))
    return await _live(request, db, principal, thread_id)


@post(T + "/duplicate", status_code=200)
async def duplicate(
    request: Request,
    course_id: FromPath[int],
    thread_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    data = await form_struct(request, ThreadDuplicate)
    await service.mark_duplicate(db, principal, thread_id, data)
    return await _live(request, db, principal, thread_id)


@post(C + "/notifications/read", status_code=200)
async def notifications_read(
    request: Request, course_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> Response:
    from forum.schemas import NotificationsMark

    await activity.mark_notifications(db, principal, course_id, NotificationsMark(all=True))
    notes = await activity.notifications(
        db, principal, course_id, unread_only=False, cursor=None, limit=None
    )
    return await web.render_page(
        request, db, principal, "forum/notifications.html", section="notifications",
        notes=notes, fragment=False,
    )  # fmt: skip


@post(C + "/moderation/posts/{post_id:int}/resolve", status_code=200)
async def resolve(
    request: Request,
    course_id: FromPath[int],
    post_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    data = await form_struct(request, FlagResolve)
    await moderation.resolve_flags(db, principal, post_id, data)
    shared = await _shared(db, principal, request, "moderation")
    return _fragment("forum/_resolved.html", **shared, action=data.action)


@post(C + "/moderation/members/{user_id:int}/restrict", status_code=200)
async def restrict(
    request: Request,
    course_id: FromPath[int],
    user_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    data = await form_struct(request, RestrictionCreate)
    result = await moderation.restrict(db, principal, course_id, user_id, data)
    shared = await _shared(db, principal, request, "moderation")
    member = {"user_id": user_id, "role": "learner"}
    return _fragment("forum/_restriction.html", **shared, r=result, s=member)


@post(C + "/moderation/members/{user_id:int}/lift", status_code=200)
async def lift(
    request: Request,
    course_id: FromPath[int],
    user_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    form = await request.form()
    await moderation.lift(db, principal, course_id, user_id, str(form.get("kind") or ""))
    shared = await _shared(db, principal, request, "moderation")
    member = {"user_id": user_id, "role": "learner"}
    return _fragment("forum/_restriction.html", **shared, r=None, s=member)


ROUTES: list = [
    web.page_router(
        forum_home,
        thread_list,
        board_page,
        thread_page,
        thread_live,
        more_posts,
        new_thread_page,
        similar,
        search_page,
        notifications_page,
        moderation_page,
        learners_page,
        create_thread,
        create_reply,
        reply_form,
        vote,
        accept,
        endorse,
        edit_form,
        edit,
        history,
        flag,
        hide,
        restore,
        follow_thread,
        follow_board,
        thread_state,
        move,
        duplicate,
        notifications_read,
        resolve,
        restrict,
        lift,
    )  # fmt: skip
]
