"""Upvotes (with their score counters), the asker's accepted answer, staff endorsements."""

from __future__ import annotations

import asyncpg

from agora.errors import Conflict, Forbidden, Unprocessable
from agora.sessions import Principal
from agora.transactions import retry_on_conflict
from forum import rules
from forum.queries import threads as thread_sql
from forum.queries import votes as vote_sql
from forum.schemas import PostRead, VoteRead
from forum.service.context import Context, load_context_and_post, require_staff
from forum.service.live import emit
from forum.service.notifications import notify_endorsement_later
from forum.service.posts import get_post, post_for_write, visible


async def vote(
    conn: asyncpg.Connection, principal: Principal, post_id: int, value: int
) -> VoteRead:
    """Upvote (value 1) or take the vote back (0); voting twice counts once."""
    _, result = await vote_in_context(conn, principal, post_id, value)
    return result


@retry_on_conflict
async def vote_in_context(
    conn: asyncpg.Connection, principal: Principal, post_id: int, value: int
) -> tuple[Context, VoteRead]:
    """The vote, and the Context it was checked against (a page renders with it): the context
    and the post in one statement, the vote and its counters in another, then the live event."""
    ctx, row = await load_context_and_post(conn, principal, post_id)
    ctx.require_write()
    row = visible(principal, row)
    if rules.is_own(principal, row):
        raise Unprocessable("you cannot vote for your own post")
    if not rules.takes_reactions(principal, row):
        raise Conflict("this post cannot be voted on")
    course_id = principal.course_id
    score = await vote_sql.set_vote(conn, course_id, post_id, principal.user_id, up=bool(value))
    if score is None:
        score = row.score
    else:
        await emit(conn, course_id, "vote_changed", row.thread_id, post_id)
    return ctx, VoteRead(post_id=post_id, score=score, voted=bool(value))


@retry_on_conflict
async def accept_answer(
    conn: asyncpg.Connection, principal: Principal, post_id: int, accepted: bool
) -> PostRead:
    """The asker accepts (or un-accepts) one answer to their question."""
    row = await post_for_write(conn, principal, post_id)
    thread = row.thread
    if not rules.takes_accepted_answers(thread):
        raise Conflict("only answers to a question can be accepted")
    if not rules.is_asker(principal, thread):
        raise Forbidden("only the person who asked can accept an answer")
    if not rules.is_reply(row):
        raise Unprocessable("the question itself cannot be its answer")
    if not rules.is_live(row):
        raise Conflict("this post cannot be accepted")
    course_id = principal.course_id
    if accepted:
        await vote_sql.update_post_accepted(conn, course_id, row.thread_id, post_id)
    elif row.accepted:
        await vote_sql.update_post_accepted(conn, course_id, row.thread_id, None)
    await thread_sql.update_thread_recount(conn, course_id, row.thread_id)
    await emit(conn, course_id, "thread_state", row.thread_id, post_id)
    return await get_post(conn, principal, post_id)


@retry_on_conflict
async def endorse(
    conn: asyncpg.Connection, principal: Principal, post_id: int, endorsed: bool
) -> PostRead:
    """Staff endorse (or withdraw the endorsement of) a reply; its author is notified."""
    require_staff(principal)
    row = await post_for_write(conn, principal, post_id)
    if not rules.is_reply(row):
        raise Unprocessable("endorse an answer or reply, not the opening post")
    course_id = principal.course_id
    if row.endorsed != endorsed:
        await vote_sql.update_post_endorsed(
            conn, course_id, post_id, endorsed=endorsed,
            by=principal.user_id if endorsed else None,
        )  # fmt: skip
        await thread_sql.update_thread_recount(conn, course_id, row.thread_id)
        if endorsed and not rules.is_own(principal, row):
            await notify_endorsement_later(conn, course_id, post_id, principal.user_id)
        await emit(conn, course_id, "thread_state", row.thread_id, post_id)
    return await get_post(conn, principal, post_id)
