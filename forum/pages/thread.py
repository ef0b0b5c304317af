"""The thread page: the thread and its posts, its live part, more posts, replying.

Actions elsewhere answer with `live_fragment` (the thread's header and posts), so one code path
renders a thread whether it was just opened, changed, or updated live.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response, get, post

from agora import media, web
from agora.deps import AppSettings, CurrentPrincipal, Db, Files, Redis
from agora.errors import NotFound
from agora.params import Cursor, PathId
from agora.sessions import Principal
from agora.web import form_struct
from forum import rules
from forum.pages.urls import POST, SECTION, THREAD, events_url, thread_url
from forum.presenters import ROOT_PATH, thread_tree
from forum.schemas import ForumSettings, PostCreate
from forum.service import attachments as attachments_service
from forum.service import boards as boards_service
from forum.service import posts as posts_service
from forum.service import reads as reads_service
from forum.service import threads as threads_service


def anonymity_options(settings: ForumSettings) -> list[str]:
    """The "show my name" choices the course allows, least anonymous first."""
    return rules.allowed_anonymity(settings)


async def thread_target(
    db: asyncpg.Connection, principal: Principal, thread_id: int | None
) -> web.View:
    """What a launch linked to a thread shows (a link without an id: the forum home)."""
    if thread_id is None:
        raise NotFound("no such thread")
    return await thread_view(db, principal, thread_id)


async def thread_view(
    db: asyncpg.Connection, principal: Principal, thread_id: int, *, cursor: str | None = None
) -> web.View:
    """The thread with one page of posts; what the viewer has now seen is marked read.

    No board counts here (the hot path). What the viewer may do is in the view's `can_*` flags
    (forum.rules), which the templates read."""
    view, settings, course = await threads_service.read_thread_page(
        db, principal, thread_id, cursor=cursor
    )
    seen = max((p.seq for p in view.posts if p.unread), default=0)
    if seen:
        await reads_service.mark_seen(db, principal, thread_id, seen)
    # Only moderators get the board list, for "move".
    boards = (
        await boards_service.list_boards(db, principal, principal.course_id)
        if view.can_moderate
        else []
    )
    max_depth = settings.max_depth
    root = view.posts[0] if view.posts and view.posts[0].depth == 0 else None
    answers = (
        await posts_service.list_answers_first(db, principal, view, max_depth=max_depth)
        if cursor is None
        else []
    )
    return "forum/thread.html", {
        "view": view,
        "root": root,
        "root_path": ROOT_PATH,
        "tree": thread_tree(view.posts, max_depth, base=None if cursor else ROOT_PATH),
        "answers": answers,
        "reply_depth_limit": posts_service.MAX_TREE_DEPTH,
        "thread_url": thread_url(principal.course_id, thread_id),
        "events_url": events_url(principal.course_id),
        "boards": boards,
        "board_name": next((b.name for b in boards if b.id == view.thread.board_id), ""),
        "max_depth": max_depth,
        "anonymity_options": anonymity_options(settings),
        "section": "forum",
        "page_url": thread_url(principal.course_id, thread_id),
        "course": course,  # the layout's course, from the thread's head: not looked up again
    }


async def live_fragment(
    request: Request[Any, Any, Any], db: asyncpg.Connection, principal: Principal, thread_id: int
) -> Response[Any]:
    """The thread's live part (header and posts), after an action or a live event."""
    _, context = await thread_view(db, principal, thread_id)
    return await web.render_fragment(request, db, principal, "forum/_thread_live.html", **context)


@get(THREAD)
async def thread_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    return await web.render_view(
        request, db, principal, await thread_view(db, principal, thread_id), section=SECTION
    )


@get(THREAD + "/live")
async def thread_live(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    return await live_fragment(request, db, principal, thread_id)


@get(THREAD + "/posts")
async def more_posts(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
) -> Response[Any]:
    _, context = await thread_view(db, principal, thread_id, cursor=cursor)
    page = {"items": context["view"].posts, "next_cursor": context["view"].next_cursor}
    return await web.render_fragment(
        request, db, principal, "forum/_more_posts.html", **context, page=page
    )


@post(THREAD + "/posts", status_code=200, request_max_body_size=media.UPLOAD_BODY_BYTES)
async def create_reply(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    redis: Redis,
    principal: CurrentPrincipal,
    store: Files,
    settings: AppSettings,
) -> Response[Any]:
    """Answers with the new post alone, in a run saying which container it belongs in (agora.js
    puts it in its place in the tree); the header's count and everyone else's page follow
    through the live event."""
    data = await form_struct(request, PostCreate)
    uploads = await media.read_uploads(request, "files", max_bytes=settings.attachment_max_bytes)
    ctx, created = await posts_service.create_post_in_context(db, redis, principal, thread_id, data)
    if uploads:  # in the reply's transaction: a refused file leaves no reply either
        attached = await attachments_service.attach_files(
            db, store, settings, principal, created.id, uploads, ctx=ctx
        )
        created = msgspec.structs.replace(created, attachments=attached)
    max_depth = ctx.settings.max_depth
    return await web.render_fragment(
        request, db, principal, "forum/_tree.html", section=SECTION, course=ctx.course,
        tree=thread_tree([created], max_depth, base=None), view={"can_reply": True},
        max_depth=max_depth, reply_depth_limit=posts_service.MAX_TREE_DEPTH,
        thread_url=thread_url(course_id, thread_id),
    )  # fmt: skip


@get(POST + "/reply")
async def reply_form(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    _, context = await thread_view(db, principal, thread_id)
    context |= {"parent": post_id, "form_id": str(post_id)}
    return await web.render_fragment(request, db, principal, "forum/_reply_form.html", **context)


HANDLERS = [thread_page, thread_live, more_posts, create_reply, reply_form]
