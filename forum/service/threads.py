"""Threads: starting one, the thread list (keyset, pinned first), a thread page, title edits."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from redis.asyncio import Redis

from agora import remote_images
from agora.errors import BadRequest, Conflict, Forbidden, NotFound
from agora.markup import render_markdown
from agora.pagination import decode_cursor, next_page, page_limit
from agora.queries.courses import CourseView
from agora.schemas import MAX_ID
from agora.sessions import Principal
from forum import rules
from forum.presenters import post_view, thread_view
from forum.queries import boards as board_sql
from forum.queries import follows as follow_sql
from forum.queries import moderation as moderation_sql
from forum.queries import posts as post_sql
from forum.queries import reads as read_sql
from forum.queries import threads as thread_sql
from forum.schemas import (
    ForumSettings,
    PostPage,
    ThreadCreate,
    ThreadPage,
    ThreadPublish,
    ThreadRead,
    ThreadUpdate,
)
from forum.service.attachments import with_attachments
from forum.service.context import forum_settings, load_context, rate_limit_post, require_read
from forum.service.live import emit
from forum.service.notifications import announce_later, notify_post_later
from forum.service.posts import clean_title, edit_post_text, require_anonymity_allowed

FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
MAX_INT = 2**31 - 1


async def create_thread(
    conn: asyncpg.Connection,
    redis: Redis | None,
    principal: Principal,
    course_id: int,
    data: ThreadCreate,
) -> ThreadRead:
    """A thread and its opening post; the author follows it and has read it. Private threads
    are seen by staff and one learner; announcements are pinned and notify every member."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_write()
    anonymity = require_anonymity_allowed(ctx, data.anonymity)
    private_to = await _private_to(conn, principal, course_id, data)
    if data.announcement and not rules.can_announce(principal):
        raise Forbidden("only instructors and teaching assistants post announcements")
    if data.announcement and private_to is not None:
        raise BadRequest("an announcement is for the whole course: it cannot be private")
    post_first = (
        rules.default_post_first(ctx.settings, data.kind)
        if data.post_first is None
        else data.post_first
    )
    await board_sql.insert_default_board(conn, course_id)
    board_id = data.board_id or await board_sql.select_default_board_id(conn, course_id)
    board = await board_sql.select_board(conn, course_id, board_id) if board_id else None
    if board is None:
        raise NotFound("no such board")
    if board["archived"]:
        raise Conflict("this board is archived")
    title = clean_title(data.title)
    await rate_limit_post(redis, principal, ctx, new_thread=True)
    thread_id = await thread_sql.insert_thread(
        conn, course_id, board_id=board["id"], author_id=principal.user_id, kind=data.kind,
        anonymity=anonymity, title=title, search_config=ctx.search_config,
        post_first=post_first, private_to=private_to, announcement=data.announcement,
        locked=data.announcement and not data.allow_replies,
    )  # fmt: skip
    body_html = await render_markdown(data.body)
    post_id = await post_sql.insert_post(
        conn, course_id, thread_id, parent_id=None, seq=1, path=f"{1:08x}", depth=0,
        author_id=principal.user_id, anonymity=anonymity, title=title, body=data.body,
        body_html=body_html, search_config=ctx.search_config,
    )  # fmt: skip
    await remote_images.remember(conn, body_html)
    await follow_sql.insert_follow(conn, course_id, principal.user_id, "thread", thread_id)
    await read_sql.upsert_read(conn, course_id, principal.user_id, thread_id, 1)
    if data.announcement:
        await announce_later(conn, course_id, post_id)
    else:
        await notify_post_later(conn, course_id, post_id, data.body)
    await emit(conn, course_id, "post_created", thread_id, post_id)
    return await read_thread(conn, principal, thread_id)


async def _private_to(
    conn: asyncpg.Connection, principal: Principal, course_id: int, data: ThreadCreate
) -> int | None:
    """Who besides staff sees the new thread: None (everyone), the asking learner, or the
    learner staff write to."""
    if data.recipient_id is not None:
        if not rules.can_write_privately(principal, data.recipient_id):
            raise Forbidden("only instructors and teaching assistants write to one learner")
        role = await moderation_sql.select_member_role(conn, course_id, data.recipient_id)
        if role != "learner":
            raise BadRequest("recipient_id must be a learner of this course")
        return data.recipient_id
    if not data.private:
        return None
    if principal.is_staff:
        raise BadRequest("staff write privately to one learner: send recipient_id")
    return principal.user_id


async def recipient_name(conn: asyncpg.Connection, principal: Principal, user_id: int) -> str:
    """The name of the learner staff are about to write to privately (the new-thread form)."""
    if not principal.is_staff:
        raise Forbidden("only instructors and teaching assistants write to one learner")
    name = await thread_sql.select_learner_name(conn, principal.course_id, user_id)
    if name is None:
        raise NotFound("no such learner in this course")
    return name


async def make_public(
    conn: asyncpg.Connection, principal: Principal, thread_id: int, data: ThreadPublish
) -> ThreadRead:
    """Staff publish a private thread to the course; `anonymous`: the learner's posts in it
    become anonymous to peers (staff still see who asked)."""
    course_id = principal.course_id
    thread = await thread_sql.select_thread(conn, course_id, thread_id, for_update=True)
    if thread is None or not rules.can_see_thread(principal, thread):
        raise NotFound("no such thread")
    if not principal.is_staff:
        raise Forbidden("only instructors and teaching assistants can do this")
    if not rules.can_make_public(principal, thread):
        raise Conflict("this thread is already public")
    anonymity = "peers" if data.anonymous else None
    await thread_sql.update_thread_public(conn, course_id, thread_id, anonymity=anonymity)
    await emit(conn, course_id, "thread_state", thread_id)
    return await read_thread(conn, principal, thread_id)


async def list_threads(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    *,
    sort: str = "activity",
    board_id: int | None = None,
    kind: str | None = None,
    filters: frozenset[str] = frozenset(),
    cursor: str | None = None,
    limit: int | None = None,
) -> ThreadPage:
    """A page of the course's (or a board's) threads: pinned first, then by `sort`."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, default=20, maximum=100)
    if sort not in thread_sql.SORTS:
        raise BadRequest(f"sort must be one of {', '.join(thread_sql.SORTS)}")
    if "flagged" in filters and not rules.can_see_flags(principal):
        raise Forbidden("only instructors and teaching assistants can do this")
    by_time = thread_sql.sort_is_timestamp(sort)
    decoded = decode_cursor(cursor, (bool, datetime if by_time else int, int))
    after = (
        (decoded[0], decoded[1], decoded[2])
        if decoded
        else (True, FAR_FUTURE if by_time else MAX_INT, MAX_ID)
    )
    rows = await thread_sql.select_threads(
        conn,
        course_id,
        principal.user_id,
        sort=sort,
        staff=rules.sees_hidden(principal),
        board_id=board_id,
        kind=kind,
        unread="unread" in filters,
        unanswered="unanswered" in filters,
        unresponded="unresponded" in filters,
        following="following" in filters,
        mine="mine" in filters,
        flagged="flagged" in filters,
        private="private" in filters,
        after=after,
        limit=limit + 1,
    )
    page, next_cursor = next_page(rows, limit, lambda r: (r.pinned, r.sort_value, r.id))
    return ThreadPage(items=[thread_view(principal, r) for r in page], next_cursor=next_cursor)


async def read_thread(
    conn: asyncpg.Connection,
    principal: Principal,
    thread_id: int,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> ThreadRead:
    """The thread and one page of its posts: two queries whatever the page size."""
    view, _, _ = await read_thread_page(conn, principal, thread_id, cursor=cursor, limit=limit)
    return view


async def read_thread_page(
    conn: asyncpg.Connection,
    principal: Principal,
    thread_id: int,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[ThreadRead, ForumSettings, CourseView]:
    """`read_thread`, with the course's forum settings and the course as a page's layout shows
    it, from the same head query: the thread page loads no context of its own."""
    limit = page_limit(limit, default=50, maximum=100)
    after = decode_cursor(cursor, (str,))
    head = await thread_sql.select_thread_page_head(
        conn, principal.course_id, thread_id, principal.user_id
    )
    if head is None or not rules.can_see_thread(principal, head):
        raise NotFound("no such thread")
    restrictions = frozenset(head.restrictions)
    require_read(restrictions)
    settings = forum_settings(head.forum_settings)
    all_replies = rules.can_see_all_replies(principal, head, has_replied=head.has_replied)
    rows = await post_sql.select_posts_page(
        conn, principal.course_id, thread_id, principal.user_id,
        after_path=after[0] if after else "", all_replies=all_replies, limit=limit + 1,
    )  # fmt: skip
    page, next_cursor = next_page(rows, limit, lambda r: (r.path,))
    now = datetime.now(UTC)
    course = CourseView(
        id=principal.course_id, title=head.course_title, label=head.course_label,
        language=head.course_language, settings=head.course_settings,
    )  # fmt: skip
    view = ThreadRead(
        thread=thread_view(principal, head),
        state_reason=head.state_reason,
        read_seq=head.read_seq,
        replies_hidden_until_you_post=not all_replies,
        posts=await with_attachments(
            conn,
            principal,
            page,
            [
                post_view(
                    principal,
                    r,
                    head,
                    settings=settings,
                    restrictions=restrictions,
                    read_seq=head.read_seq,
                    now=now,
                )  # fmt: skip
                for r in page
            ],
        ),
        next_cursor=next_cursor,
        can_reply=rules.can_reply(principal, head, restrictions=restrictions),
        can_moderate=rules.can_moderate(principal),
        can_make_public=rules.can_make_public(principal, head),
    )
    return view, settings, course


async def list_posts(
    conn: asyncpg.Connection,
    principal: Principal,
    thread_id: int,
    cursor: str | None,
    limit: int | None,
) -> PostPage:
    page = await read_thread(conn, principal, thread_id, cursor=cursor, limit=limit)
    return PostPage(items=page.posts, next_cursor=page.next_cursor)


async def update_thread(
    conn: asyncpg.Connection,
    redis: Redis | None,
    principal: Principal,
    thread_id: int,
    data: ThreadUpdate,
) -> ThreadRead:
    """Edit the title and/or the opening post's body (the same rules as editing a post)."""
    thread = await thread_sql.select_thread(conn, principal.course_id, thread_id)
    if thread is None or not rules.can_see_thread(principal, thread):
        raise NotFound("no such thread")
    root = await post_sql.select_root_post_id(conn, principal.course_id, thread_id)
    if data.title is None and data.body is None:
        raise BadRequest("send a title, a body or both")
    if root is None:
        raise NotFound("no such thread")
    await edit_post_text(
        conn, redis, principal, root, body=data.body, title=data.title, reason=data.reason,
        reason_code=data.reason_code,
    )  # fmt: skip
    return await read_thread(conn, principal, thread_id, limit=1)
