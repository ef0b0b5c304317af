"""Posts: replying, reading one post, editing (with revisions), deleting."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from redis.asyncio import Redis

from agora import ratelimit, remote_images
from agora.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_text, render_markdown
from agora.pagination import decode_cursor, next_page, page_limit
from agora.sessions import Principal
from agora.transactions import retry_on_conflict
from forum import rules
from forum.presenters import answer_view, post_view, revision_view
from forum.queries import moderation as mod_sql
from forum.queries import posts as post_sql
from forum.queries import revisions as revision_sql
from forum.queries import threads as thread_sql
from forum.queries.posts import PostDetail, PostRow
from forum.queries.threads import ThreadRow
from forum.schemas import PostCreate, PostRead, PostUpdate, RevisionPage, ThreadRead
from forum.service.context import Context, load_context, rate_limit_post
from forum.service.live import emit
from forum.service.notifications import notify_post_later

MAX_TREE_DEPTH = 32  # actual nesting; the displayed depth is capped per course, lower
UNREAD_NEVER = 2**31  # a read position past every post: a single post is never shown as new
HOUR = 3600


def require_anonymity_allowed(ctx: Context, anonymity: str | None) -> str:
    """The anonymity to post with: the one asked for if the course allows it (422 if not), or
    the course's least anonymous allowed mode when none was asked for."""
    allowed = rules.allowed_anonymity(ctx.settings)
    if anonymity is None:
        return allowed[0]
    if not rules.can_use_anonymity(ctx.settings, anonymity):
        raise Unprocessable(f"this course allows anonymity: {', '.join(allowed)}")
    return anonymity


def clean_title(title: str) -> str:
    cleaned = clean_text(title)
    if not cleaned:
        raise Unprocessable("the title is empty once markup is removed")
    return cleaned


async def create_post(
    conn: asyncpg.Connection,
    redis: Redis | None,
    principal: Principal,
    thread_id: int,
    data: PostCreate,
) -> PostRead:
    """A reply (to the opening post, or to `data.parent_id`), with counters, read position,
    follow, notifications and the live event in the same transaction."""
    _, post = await create_post_in_context(conn, redis, principal, thread_id, data)
    return post


async def create_post_in_context(
    conn: asyncpg.Connection,
    redis: Redis | None,
    principal: Principal,
    thread_id: int,
    data: PostCreate,
) -> tuple[Context, PostRead]:
    """create_post, with the Context it loaded (once) for a page to render with."""
    ctx = await load_context(conn, principal)
    ctx.require_write()
    anonymity = require_anonymity_allowed(ctx, data.anonymity)
    # Before the retried part: a run again after a lost lock race must not meet its own limit.
    await rate_limit_post(redis, principal, ctx, new_thread=False, thread_id=thread_id)
    # Rendered before the thread is locked, so other writers of the thread never wait for it.
    body_html = await render_markdown(data.body)
    post, thread = await insert_reply(conn, principal, ctx, thread_id, data, anonymity, body_html)
    # Built from what was written, not read back: the reply's own view costs no statement.
    return ctx, post_view(
        principal, post, thread, settings=ctx.settings, restrictions=ctx.restrictions,
        read_seq=UNREAD_NEVER, now=datetime.now(UTC),
    )  # fmt: skip


@retry_on_conflict
async def insert_reply(
    conn: asyncpg.Connection,
    principal: Principal,
    ctx: Context,
    thread_id: int,
    data: PostCreate,
    anonymity: str,
    body_html: str,
) -> tuple[PostRow, ThreadRow]:
    """The reply's rows, and the post and its thread as written. The thread's row is locked
    first, then the parent post's: the one lock order of every forum write. Four statements:
    the thread, the rows (forum.queries.posts.INSERT_REPLY_SQL), notifications, the live event."""
    course_id = principal.course_id
    thread = await thread_sql.select_thread(conn, course_id, thread_id, for_update=True)
    if thread is None or not rules.can_see_thread(principal, thread):
        raise NotFound("no such thread")
    if not rules.thread_takes_replies(principal, thread):
        what = "locked" if thread.locked else "closed"
        raise Conflict(f"this thread is {what}: {thread.state_reason or 'no new replies'}")
    row = await post_sql.insert_reply(
        conn, course_id, thread_id, parent_id=data.parent_id, author_id=principal.user_id,
        anonymity=anonymity, body=data.body, body_html=body_html,
        search_config=ctx.search_config, prev_last=thread.last_seq, max_depth=MAX_TREE_DEPTH,
    )  # fmt: skip
    if row is None:
        raise NotFound("no such parent post in this thread")
    if row["id"] is None:
        raise Unprocessable(f"replies nest at most {MAX_TREE_DEPTH} levels deep")
    post = PostRow(
        id=row["id"], thread_id=thread_id, parent_id=row["parent_id"], seq=row["seq"],
        path=row["path"], depth=row["depth"], author_id=principal.user_id, anonymity=anonymity,
        body=data.body, body_html=body_html, score=0, reply_count=0, endorsed=False,
        accepted=False, deleted=False, hidden=False, hidden_reason="", edited_at=None,
        created_at=row["created_at"], author_name=row["author_name"],
        author_role=row["author_role"], voted=False, parent_author_id=row["parent_author_id"],
        parent_author_name=row["parent_author_name"], parent_anonymity=row["parent_anonymity"],
    )  # fmt: skip
    await notify_post_later(conn, course_id, post.id, data.body)
    await remote_images.remember(conn, body_html)
    await emit(conn, course_id, "post_created", thread_id, post.id)
    return post, thread


async def get_post(
    conn: asyncpg.Connection, principal: Principal, post_id: int, *, ctx: Context | None = None
) -> PostRead:
    if ctx is None:
        ctx = await load_context(conn, principal)
        ctx.require_read()
    row = await visible_post(conn, principal, post_id)
    return post_view(
        principal, row, row.thread, settings=ctx.settings, restrictions=ctx.restrictions,
        read_seq=UNREAD_NEVER, now=datetime.now(UTC),
    )  # fmt: skip


async def visible_post(conn: asyncpg.Connection, principal: Principal, post_id: int) -> PostDetail:
    """The post with its thread's facts; 404 if the viewer may not see it (its thread is out of
    sight, or it is a reply in a post-first thread the viewer has not replied to yet)."""
    return visible(
        principal, await post_sql.select_post(conn, principal.course_id, post_id, principal.user_id)
    )


def visible(principal: Principal, row: PostDetail | None) -> PostDetail:
    """`row`, if the viewer may see it: 404 if not (its thread is out of sight, or it is a reply
    in a post-first thread the viewer has not replied to yet)."""
    if (
        row is None
        or not rules.can_see_post(principal, row.thread)
        or not rules.can_see_reply(principal, row.thread, row, has_replied=row.viewer_replied)
    ):
        raise NotFound("no such post")
    return row


async def post_for_write(
    conn: asyncpg.Connection, principal: Principal, post_id: int
) -> PostDetail:
    """The post an action is about, read after its thread's row is locked: every forum write
    locks the thread before any post (one lock order, so two writes never deadlock). 404 if the
    viewer may not see the post."""
    await thread_sql.lock_thread_of_post(conn, principal.course_id, post_id)
    return await visible_post(conn, principal, post_id)


async def rate_limit_edit(redis: Redis | None, principal: Principal, ctx: Context) -> None:
    """A learner's edits per hour (each edit is a revision and a live event for every reader)."""
    if rules.is_rate_limited(principal):
        await ratelimit.enforce_quota(
            redis, principal.course_id, "edits", principal.user_id,
            limit=ctx.settings.edits_per_hour, window=HOUR,
        )  # fmt: skip


async def edit_post_text(
    conn: asyncpg.Connection,
    redis: Redis | None,
    principal: Principal,
    post_id: int,
    *,
    body: str | None,
    title: str | None,
    reason: str,
    reason_code: str,
) -> None:
    """Replace a post's body and/or (opening post) title, keeping the old text as a revision.
    Staff editing someone else's post give a reason code, and the edit is in the audit log."""
    ctx = await load_context(conn, principal)
    ctx.require_write()
    await rate_limit_edit(redis, principal, ctx)
    body_html = None if body is None else await render_markdown(body)  # before any lock
    await write_post_text(
        conn, principal, ctx, post_id, body=body, body_html=body_html, title=title,
        reason=reason, reason_code=reason_code,
    )  # fmt: skip


@retry_on_conflict
async def write_post_text(
    conn: asyncpg.Connection,
    principal: Principal,
    ctx: Context,
    post_id: int,
    *,
    body: str | None,
    body_html: str | None,
    title: str | None,
    reason: str,
    reason_code: str,
) -> None:
    row = await post_for_write(conn, principal, post_id)  # two edits never interleave
    if not rules.is_editor(principal, row):
        raise Forbidden("you can edit only your own posts")
    if row.deleted:
        raise Conflict("this post was deleted")
    if rules.staff_edit_needs_reason(principal, row) and not reason_code:
        raise Unprocessable("a staff edit of someone else's post needs a reason_code")
    if not rules.edit_window_open(principal, row, settings=ctx.settings, now=datetime.now(UTC)):
        window = ctx.settings.edit_window_minutes
        raise Forbidden(f"posts can be edited for {window} minutes after posting")
    if title is not None and not rules.can_edit_title(row):
        raise BadRequest("only a thread's opening post has a title")
    new_title = clean_title(title) if title is not None else None
    course_id = principal.course_id
    await post_sql.insert_revision(
        conn, course_id, post_id, editor_id=principal.user_id, reason=clean_text(reason),
        reason_code=reason_code, title=row.title, body=row.body,
    )  # fmt: skip
    await post_sql.update_post_body(
        conn, course_id, post_id, body=row.body if body is None else body,
        body_html=row.body_html if body_html is None else body_html, title=new_title,
    )  # fmt: skip
    if new_title is not None:
        await thread_sql.update_thread_fields(conn, course_id, row.thread_id, title=new_title)
    if not rules.is_own(principal, row):
        await mod_sql.insert_mod_action(
            conn, course_id, principal.user_id, "post_edit", target_kind="post",
            target_id=post_id, reason=clean_text(reason), details={"reason_code": reason_code},
        )  # fmt: skip
    if body_html is not None:
        await remote_images.remember(conn, body_html)
    await emit(conn, course_id, "post_edited", row.thread_id, post_id)


async def edit_post(
    conn: asyncpg.Connection,
    redis: Redis | None,
    principal: Principal,
    post_id: int,
    data: PostUpdate,
) -> PostRead:
    await edit_post_text(
        conn, redis, principal, post_id, body=data.body, title=None, reason=data.reason,
        reason_code=data.reason_code,
    )  # fmt: skip
    return await get_post(conn, principal, post_id)


@retry_on_conflict
async def delete_post(conn: asyncpg.Connection, principal: Principal, post_id: int) -> None:
    """Author (or staff) soft delete: the post stays as a placeholder, counters follow."""
    ctx = await load_context(conn, principal)
    ctx.require_read()
    row = await post_for_write(conn, principal, post_id)
    if not rules.is_editor(principal, row):
        raise Forbidden("you can delete only your own posts")
    if row.deleted:
        return
    course_id = principal.course_id
    await post_sql.update_post_flags(conn, course_id, post_id, deleted=True)
    await after_visibility_change(conn, course_id, row, visible=False)
    if row.parent_id is None:
        await thread_sql.update_thread_fields(conn, course_id, row.thread_id, deleted=True)
    if not rules.is_own(principal, row):
        await mod_sql.insert_mod_action(
            conn, course_id, principal.user_id, "post_delete", target_kind="post",
            target_id=post_id, reason="",
        )  # fmt: skip
    await emit(conn, course_id, "thread_state", row.thread_id, post_id)


async def after_visibility_change(
    conn: asyncpg.Connection, course_id: int, row: PostDetail, *, visible: bool
) -> None:
    """Keep the parent's and the thread's counters right after a post (dis)appears."""
    if row.parent_id is not None:
        await post_sql.update_parent_reply_count(
            conn, course_id, row.parent_id, 1 if visible else -1
        )
    await thread_sql.update_thread_recount(conn, course_id, row.thread_id)


async def revisions(
    conn: asyncpg.Connection,
    principal: Principal,
    post_id: int,
    cursor: str | None,
    limit: int | None,
) -> RevisionPage:
    """A post's earlier versions, oldest first."""
    limit = page_limit(limit, default=20, maximum=100)
    row = await visible_post(conn, principal, post_id)
    if not rules.can_see_revisions(principal, row):
        raise NotFound("no such post")
    after = decode_cursor(cursor, (int,))
    rows = await revision_sql.select_revisions(
        conn, principal.course_id, post_id, after_id=after[0] if after else 0, limit=limit + 1
    )
    page, next_cursor = next_page(rows, limit, lambda r: (r["id"],))
    return RevisionPage(
        items=[revision_view(principal, row, r) for r in page], next_cursor=next_cursor
    )


ANSWERS_FIRST = 10  # accepted and endorsed answers a question's page shows first, at most


async def list_answers_first(
    conn: asyncpg.Connection, principal: Principal, view: ThreadRead, *, max_depth: int
) -> list[PostRead]:
    """A question's accepted answer and staff-endorsed answers, which its page shows first:
    taken from the page when it holds the whole thread, else one statement."""
    thread = view.thread
    if thread.kind != "question" or not thread.answered or view.replies_hidden_until_you_post:
        return []
    if view.next_cursor is None:
        answers = [
            p
            for p in view.posts
            if p.depth > 0 and (p.accepted or p.endorsed) and not p.deleted and not p.hidden
        ]
        return sorted(answers, key=lambda p: not p.accepted)[:ANSWERS_FIRST]
    rows = await post_sql.select_answer_posts(
        conn, principal.course_id, thread.id, principal.user_id, limit=ANSWERS_FIRST
    )
    return [answer_view(principal, r, max_depth=max_depth) for r in rows]
