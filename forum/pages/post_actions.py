"""What a reader does to a post (vote, accept, endorse, edit, history, flag, hide/restore) and
following a thread or a board. Actions on the thread answer with its live part."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Request, Response, get, post

from agora import web
from agora.deps import CurrentPrincipal, Db, Redis
from agora.errors import NotFound
from agora.params import PathId
from agora.sessions import Principal
from agora.web import form_fields, form_struct
from forum.pages.thread import live_fragment
from forum.pages.urls import COURSE, POST, SECTION, THREAD, thread_url
from forum.schemas import FlagCreate, PostUpdate, RevisionRedact
from forum.service import follows as follows_service
from forum.service import moderation as moderation_service
from forum.service import posts as posts_service
from forum.service import votes as votes_service


@post(POST + "/vote", status_code=200)
async def vote(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """Answers with the post's vote control alone; other readers (and the rest of this page)
    learn of the new score through the live event."""
    form = await form_fields(request)
    value = 1 if web.form_checked(form.get("value")) else 0
    ctx, result = await votes_service.vote_in_context(db, principal, post_id, value)
    return await web.render_fragment(
        request, db, principal, "forum/_vote.html", section=SECTION, course=ctx.course,
        p={"id": post_id, "score": result.score, "voted": result.voted},
        post_url=f"{thread_url(course_id, thread_id)}/posts/{post_id}",
    )  # fmt: skip


@post(POST + "/accept", status_code=200)
async def accept(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await form_fields(request)
    await votes_service.accept_answer(
        db, principal, post_id, web.form_checked(form.get("accepted"))
    )
    return await live_fragment(request, db, principal, thread_id)


@post(POST + "/endorse", status_code=200)
async def endorse(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await form_fields(request)
    await votes_service.endorse(db, principal, post_id, web.form_checked(form.get("endorsed")))
    return await live_fragment(request, db, principal, thread_id)


@get(POST + "/edit")
async def edit_form(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    post_read = await posts_service.get_post(db, principal, post_id)
    if not post_read.can_edit:
        raise NotFound("you cannot edit this post")
    return await web.render_fragment(
        request, db, principal, "forum/_post_edit.html", post=post_read,
        thread_url=thread_url(course_id, thread_id), section=SECTION,
    )  # fmt: skip


@post(POST + "/edit", status_code=200)
async def edit(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    redis: Redis,
    principal: CurrentPrincipal,
) -> Response[Any]:
    data = await form_struct(request, PostUpdate)
    await posts_service.edit_post(db, redis, principal, post_id, data)
    return await live_fragment(request, db, principal, thread_id)


@get(POST + "/history")
async def history(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    return await _history_fragment(request, db, principal, course_id, thread_id, post_id)


async def _history_fragment(
    request: Request[Any, Any, Any], db: asyncpg.Connection, principal: Principal,
    course_id: int, thread_id: int, post_id: int,
) -> Response[Any]:  # fmt: skip
    revisions = await posts_service.revisions(db, principal, post_id, None, None)
    redact_url = f"{thread_url(course_id, thread_id)}/posts/{post_id}/revisions"
    return await web.render_fragment(
        request, db, principal, "forum/_revisions.html", revisions=revisions,
        redact_url=redact_url, section=SECTION,
    )  # fmt: skip


@post(POST + "/revisions/{revision_id:int}/redact", status_code=200)
async def redact_revision(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    revision_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """Staff: redact one revision from the edit history; answers with the history again."""
    data = await form_struct(request, RevisionRedact)
    await moderation_service.redact_revision(db, principal, post_id, revision_id, data)
    return await _history_fragment(request, db, principal, course_id, thread_id, post_id)


@post(POST + "/flag", status_code=200)
async def flag(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    data = await form_struct(request, FlagCreate)
    result = await moderation_service.flag_post(db, principal, post_id, data)
    return await web.render_fragment(
        request, db, principal, "forum/_flagged.html", flag=result, section=SECTION
    )


async def _set_hidden(
    request: Request[Any, Any, Any], thread_id: int, post_id: int, db: asyncpg.Connection,
    principal: Principal, hidden: bool,
) -> Response[Any]:  # fmt: skip
    reason = (await form_fields(request)).get("reason", "")[:500]
    await moderation_service.set_post_hidden(db, principal, post_id, hidden, reason)
    return await live_fragment(request, db, principal, thread_id)


@post(POST + "/hide", status_code=200)
async def hide(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    return await _set_hidden(request, thread_id, post_id, db, principal, True)


@post(POST + "/restore", status_code=200)
async def restore(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    post_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    return await _set_hidden(request, thread_id, post_id, db, principal, False)


@post(THREAD + "/follow", status_code=200)
async def follow_thread(
    request: Request[Any, Any, Any],
    course_id: PathId,
    thread_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    following = web.form_checked((await form_fields(request)).get("follow"))
    result = await follows_service.set_follow(db, principal, "thread", thread_id, following)
    view = {"thread": {"following": result.following}}
    return await web.render_fragment(
        request, db, principal, "forum/_follow_thread.html", view=view, section=SECTION
    )


@post(COURSE + "/forum/boards/{board_id:int}/follow", status_code=200)
async def follow_board(
    request: Request[Any, Any, Any],
    course_id: PathId,
    board_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    following = web.form_checked((await form_fields(request)).get("follow"))
    result = await follows_service.set_follow(db, principal, "board", board_id, following)
    board = {"id": board_id, "following": result.following}
    return await web.render_fragment(
        request, db, principal, "forum/_follow_board.html", board=board, section=SECTION
    )


HANDLERS = [
    vote,
    accept,
    endorse,
    edit_form,
    edit,
    history,
    redact_revision,
    flag,
    hide,
    restore,
    follow_thread,
    follow_board,
]
