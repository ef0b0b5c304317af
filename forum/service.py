"""Forum rules: boards, threads, posts, Q&A, votes, follows, read state, search.

Every function takes the request's connection (inside its transaction for writes) and the
Principal, scopes everything by the principal's course, and returns response Structs.
Side effects (live events, notifications) are written to the outbox in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

import msgspec

from agora import ratelimit
from agora.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_text, render_markdown
from agora.outbox import enqueue
from agora.sessions import Principal
from forum import queries as q
from forum.schemas import (
    BoardCreate,
    BoardRead,
    BoardUpdate,
    FollowRead,
    ForumSettings,
    PostCreate,
    PostPage,
    PostRead,
    PostUpdate,
    RevisionPage,
    RevisionRead,
    SearchHit,
    SearchPage,
    SimilarPage,
    SimilarThread,
    ThreadCreate,
    ThreadDuplicate,
    ThreadMove,
    ThreadPage,
    ThreadRead,
    ThreadStateChange,
    ThreadUpdate,
    VoteRead,
)
from forum.views import decode_cursor, encode_cursor, post_view, thread_view
from forum.visibility import author_view

MAX_TREE_DEPTH = 32  # actual nesting; the displayed depth is capped per course, lower
MAX_BOARDS = 100
DAY = 86_400
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1
SEARCH_WORK_MEM = "64MB"
MENTION = re.compile(r"(?<![\w@])@([\w.\-]{2,64})")


def page_limit(limit: int | None, default: int, maximum: int) -> int:
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise BadRequest(f"limit must be between 1 and {maximum}")
    return limit


def forum_settings(raw) -> ForumSettings:
    try:
        return msgspec.convert(raw or {}, ForumSettings, strict=False)
    except msgspec.ValidationError:
        return ForumSettings()  # a malformed course setting must not take the forum down


@dataclass(frozen=True)
class Context:
    """The course's forum settings and the viewer's standing in it."""

    settings: ForumSettings
    search_config: str
    restrictions: frozenset[str]

    def require_read(self) -> None:
        if "ban" in self.restrictions:
            raise Forbidden("you are banned from this course's forum")

    def require_write(self) -> None:
        self.require_read()
        if "mute" in self.restrictions:
            raise Forbidden("you are muted in this course's forum: you can read but not post")


async def context(conn, principal: Principal, course_id: int | None = None) -> Context:
    if course_id is not None:
        principal.require_course(course_id)
    row = await q.select_viewer(conn, principal.course_id, principal.user_id)
    if row is None:
        raise NotFound("no such course")
    return Context(
        forum_settings(row["forum_settings"]), row["search_config"], frozenset(row["restrictions"])
    )


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("only instructors and teaching assistants can do this")


async def rate_limit_post(redis, principal: Principal, ctx: Context, *, new_thread: bool) -> None:
    if principal.is_staff:
        return
    await ratelimit.enforce_gap(
        redis, principal.course_id, "post", principal.user_id, ctx.settings.post_interval_seconds
    )
    if new_thread:
        await ratelimit.enforce_quota(
            redis,
            principal.course_id,
            "threads",
            principal.user_id,
            limit=ctx.settings.threads_per_day,
            window=DAY,
        )


def mentions_in(body: str) -> list[str]:
    return sorted({m.lower() for m in MENTION.findall(body)})[:20]


async def emit(conn, course_id: int, event: str, thread_id: int, post_id: int | None = None):
    """A live event, published after commit by the worker (see forum.jobs.forum_publish)."""
    await enqueue(conn, "forum_publish", course_id, event, thread_id, post_id, course_id=course_id)


# ---- boards ---------------------------------------------------------------------------------


async def list_boards(conn, principal: Principal, course_id: int) -> list[BoardRead]:
    ctx = await context(conn, principal, course_id)
    ctx.require_read()
    await q.insert_default_board(conn, course_id)
    rows = await q.select_boards(
        conn, course_id, principal.user_id, staff=principal.is_staff, limit=MAX_BOARDS
    )
    return [BoardRead(**dict(r)) for r in rows]


async def create_board(conn, principal: Principal, course_id: int, data: BoardCreate) -> BoardRead:
    principal.require_course(course_id)
    if not principal.is_instructor:
        raise Forbidden("only instructors create boards")
    await q.insert_default_board(conn, course_id)
    if await q.count_boards(conn, course_id) >= MAX_BOARDS:
        raise Unprocessable(f"a course has at most {MAX_BOARDS} boards")
    name = clean_text(data.name)
    if not name:
        raise Unprocessable("the board name is empty once markup is removed")
    row = await q.insert_board(conn, course_id, name, clean_text(data.description), data.position)
    return BoardRead(**{k: row[k] for k in ("id", "name", "description", "position",
                                           "is_default", "archived")})  # fmt: skip


async def update_board(
    conn, principal: Principal, course_id: int, board_id: int, data: BoardUpdate
) -> BoardRead:
    principal.require_course(course_id)
    if not principal.is_instructor:
        raise Forbidden("only instructors change boards")
    board = await q.select_board(conn, course_id, board_id)
    if board is None:
        raise NotFound("no such board")
    if data.archived and board["is_default"]:
        raise Conflict("the default board cannot be archived")
    row = await q.update_board(
        conn,
        course_id,
        board_id,
        clean_text(data.name) if data.name is not None else None,
        clean_text(data.description) if data.description is not None else None,
        data.position,
        data.archived,
    )
    return BoardRead(**{k: row[k] for k in ("id", "name", "description", "position",
                                           "is_default", "archived")})  # fmt: skip


# ---- follows --------------------------------------------------------------------------------


async def set_follow(
    conn, principal: Principal, kind: str, target_id: int, following: bool
) -> FollowRead:
    ctx = await context(conn, principal)
    ctx.require_read()
    course_id = principal.course_id
    if kind == "thread":
        thread = await q.select_thread(conn, course_id, target_id)
        if thread is None or not _thread_visible(principal, thread):
            raise NotFound("no such thread")
    elif kind == "board":
        if await q.select_board(conn, course_id, target_id) is None:
            raise NotFound("no such board")
    else:
        require_staff(principal)
        target_id = 0
    if following:
        await q.insert_follow(conn, course_id, principal.user_id, kind, target_id)
    else:
        await q.delete_follow(conn, course_id, principal.user_id, kind, target_id)
    return FollowRead(target_kind=kind, target_id=target_id, following=following)


# ---- threads --------------------------------------------------------------------------------


def _thread_visible(principal: Principal, thread) -> bool:
    if principal.is_staff:
        return True
    if thread["deleted"]:
        return False
    return not thread["hidden"] or thread["author_id"] == principal.user_id


def _check_anonymity(ctx: Context, anonymity: str) -> None:
    if anonymity != "none" and anonymity not in ctx.settings.anonymity:
        allowed = ", ".join(["none", *[a for a in ctx.settings.anonymity if a != "none"]])
        raise Unprocessable(f"this course allows anonymity: {allowed}")


def _clean_title(title: str) -> str:
    cleaned = clean_text(title)
    if not cleaned:
        raise Unprocessable("the title is empty once markup is removed")
    return cleaned


async def create_thread(
    conn, redis, principal: Principal, course_id: int, data: ThreadCreate
) -> ThreadRead:
    ctx = await context(conn, principal, course_id)
    ctx.require_write()
    _check_anonymity(ctx, data.anonymity)
    await q.insert_default_board(conn, course_id)
    board_id = data.board_id or await q.select_default_board_id(conn, course_id)
    board = await q.select_board(conn, course_id, board_id)
    if board is None:
        raise NotFound("no such board")
    if board["archived"]:
        raise Conflict("this board is archived")
    title = _clean_title(data.title)
    await rate_limit_post(redis, principal, ctx, new_thread=True)
    thread_id = await q.insert_thread(
        conn, course_id, board_id, principal.user_id, data.kind, data.anonymity, title,
        ctx.search_config, data.post_first,
    )  # fmt: skip
    post = await q.insert_post(
        conn, course_id, thread_id, None, 1, f"{1:08x}", 0, principal.user_id, data.anonymity,
        title, data.body, render_markdown(data.body), ctx.search_config,
    )  # fmt: skip
    await q.insert_follow(conn, course_id, principal.user_id, "thread", thread_id)
    await q.upsert_read(conn, course_id, principal.user_id, thread_id, 1)
    await enqueue(conn, "forum_notify_post", course_id, post["id"], mentions_in(data.body),
                  course_id=course_id)  # fmt: skip
    await emit(conn, course_id, "post_created", thread_id, post["id"])
    return await read_thread(conn, principal, thread_id)


async def list_threads(
    conn,
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
    ctx = await context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, 20, 100)
    if sort not in q.SORTS:
        raise BadRequest(f"sort must be one of {', '.join(q.SORTS)}")
    if "flagged" in filters:
        require_staff(principal)
    value_type = datetime if q.SORTS[sort][1] == "timestamptz" else int
    after = decode_cursor(cursor, (bool, value_type, int)) or [
        True,
        FAR_FUTURE if value_type is datetime else MAX_INT,
        MAX_BIGINT,
    ]
    rows = await q.select_threads(
        conn,
        course_id,
        principal.user_id,
        sort=sort,
        staff=principal.is_staff,
        board_id=board_id,
        kind=kind,
        unread="unread" in filters,
        unanswered="unanswered" in filters,
        unresponded="unresponded" in filters,
        following="following" in filters,
        mine="mine" in filters,
        flagged="flagged" in filters,
        after=tuple(after),
        limit=limit + 1,
    )
    items = [
        thread_view(principal, r, unread_count=r["unread_count"], following=r["following"])
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last["pinned"], last["sort_value"], last["id"])
    return ThreadPage(items=items, next_cursor=next_cursor)


async def read_thread(
    conn, principal: Principal, thread_id: int, *, cursor: str | None = None,
    limit: int | None = None,
) -> ThreadRead:  # fmt: skip
    """The thread and one page of its posts: two queries whatever the page size."""
    limit = page_limit(limit, 50, 100)
    after = decode_cursor(cursor, (str,))
    head = await q.select_thread_page_head(conn, principal.course_id, thread_id, principal.user_id)
    if head is None or not _thread_visible(principal, head):
        raise NotFound("no such thread")
    if "ban" in head["restrictions"]:
        raise Forbidden("you are banned from this course's forum")
    settings = forum_settings(head["forum_settings"])
    all_replies = (
        principal.is_staff
        or not head["post_first"]
        or head["has_replied"]
        or head["author_id"] == principal.user_id
    )
    rows = await q.select_posts_page(
        conn, principal.course_id, thread_id, principal.user_id,
        after_path=after[0] if after else "", all_replies=all_replies, limit=limit + 1,
    )  # fmt: skip
    read_seq = head["read_seq"]
    posts = [
        post_view(principal, r, max_depth=settings.max_depth, read_seq=read_seq)
        for r in rows[:limit]
    ]
    return ThreadRead(
        thread=thread_view(
            principal, head, unread_count=head["unread_count"], following=head["following"]
        ),
        state_reason=head["state_reason"],
        read_seq=read_seq,
        replies_hidden_until_you_post=not all_replies,
        posts=posts,
        next_cursor=encode_cursor(rows[limit - 1]["path"]) if len(rows) > limit else None,
    )


async def list_posts(
    conn, principal: Principal, thread_id: int, cursor: str | None, limit: int | None
) -> PostPage:
    page = await read_thread(conn, principal, thread_id, cursor=cursor, limit=limit)
    return PostPage(items=page.posts, next_cursor=page.next_cursor)


async def _thread_for_staff_change(conn, principal: Principal, thread_id: int):
    require_staff(principal)
    thread = await q.select_thread(conn, principal.course_id, thread_id, for_update=True)
    if thread is None:
        raise NotFound("no such thread")
    return thread


async def change_thread_state(
    conn, principal: Principal, thread_id: int, data: ThreadStateChange
) -> ThreadRead:
    await _thread_for_staff_change(conn, principal, thread_id)
    field, value = {
        "pin": ("pinned", True), "unpin": ("pinned", False),
        "lock": ("locked", True), "unlock": ("locked", False),
        "close": ("closed", True), "reopen": ("closed", False),
        "hide": ("hidden", True), "restore": ("hidden", False),
    }[data.action]  # fmt: skip
    reason = clean_text(data.reason)
    if data.action in ("lock", "close", "hide") and not reason:
        raise Unprocessable(f"say why: '{data.action}' needs a reason")
    await q.update_thread_fields(conn, principal.course_id, thread_id, **{field: value})
    if data.action in ("lock", "close", "hide"):
        await q.update_thread_fields(conn, principal.course_id, thread_id, state_reason=reason)
    await q.insert_mod_action(
        conn, principal.course_id, principal.user_id, f"thread_{data.action}", "thread",
        thread_id, reason,
    )  # fmt: skip
    await emit(conn, principal.course_id, "thread_state", thread_id)
    return await read_thread(conn, principal, thread_id, limit=1)


async def move_thread(conn, principal: Principal, thread_id: int, data: ThreadMove) -> ThreadRead:
    thread = await _thread_for_staff_change(conn, principal, thread_id)
    board = await q.select_board(conn, principal.course_id, data.board_id)
    if board is None:
        raise NotFound("no such board")
    await q.update_thread_fields(conn, principal.course_id, thread_id, board_id=data.board_id)
    await q.insert_mod_action(
        conn, principal.course_id, principal.user_id, "thread_move", "thread", thread_id,
        clean_text(data.reason), {"from": thread["board_id"], "to": data.board_id},
    )  # fmt: skip
    await emit(conn, principal.course_id, "thread_state", thread_id)
    return await read_thread(conn, principal, thread_id, limit=1)


async def mark_duplicate(
    conn, principal: Principal, thread_id: int, data: ThreadDuplicate
) -> ThreadRead:
    await _thread_for_staff_change(conn, principal, thread_id)
    if data.duplicate_of == thread_id:
        raise Unprocessable("a thread cannot duplicate itself")
    original = await q.select_thread(conn, principal.course_id, data.duplicate_of)
    if original is None:
        raise NotFound("no such original thread")
    await q.update_thread_fields(
        conn, principal.course_id, thread_id, duplicate_of=data.duplicate_of, closed=True,
        state_reason=clean_text(data.reason) or "duplicate",
    )  # fmt: skip
    await q.insert_mod_action(
        conn, principal.course_id, principal.user_id, "thread_duplicate", "thread", thread_id,
        clean_text(data.reason), {"duplicate_of": data.duplicate_of},
    )  # fmt: skip
    await emit(conn, principal.course_id, "thread_state", thread_id)
    return await read_thread(conn, principal, thread_id, limit=1)


async def update_thread(
    conn, principal: Principal, thread_id: int, data: ThreadUpdate
) -> ThreadRead:
    thread = await q.select_thread(conn, principal.course_id, thread_id)
    if thread is None or not _thread_visible(principal, thread):
        raise NotFound("no such thread")
    root = await conn.fetchval(
        "SELECT id FROM forum_posts WHERE course_id = $1 AND thread_id = $2 AND parent_id IS NULL",
        principal.course_id,
        thread_id,
    )
    if data.title is None and data.body is None:
        raise BadRequest("send a title, a body or both")
    await _edit(
        conn, principal, root, body=data.body, title=data.title, reason=data.reason,
        reason_code=data.reason_code,
    )  # fmt: skip
    return await read_thread(conn, principal, thread_id, limit=1)


async def mark_read(conn, principal: Principal, thread_id: int, seq: int | None) -> dict:
    thread = await q.select_thread(conn, principal.course_id, thread_id)
    if thread is None or not _thread_visible(principal, thread):
        raise NotFound("no such thread")
    target = thread["post_seq"] if seq is None else min(seq, thread["post_seq"])
    read_seq = await q.upsert_read(conn, principal.course_id, principal.user_id, thread_id, target)
    return {"thread_id": thread_id, "read_seq": read_seq}


# ---- posts ----------------------------------------------------------------------------------


async def create_post(
    conn, redis, principal: Principal, thread_id: int, data: PostCreate
) -> PostRead:
    ctx = await context(conn, principal)
    ctx.require_write()
    _check_anonymity(ctx, data.anonymity)
    course_id = principal.course_id
    thread = await q.select_thread(conn, course_id, thread_id, for_update=True)
    if thread is None or not _thread_visible(principal, thread):
        raise NotFound("no such thread")
    if (thread["locked"] or thread["closed"]) and not principal.is_staff:
        what = "locked" if thread["locked"] else "closed"
        raise Conflict(f"this thread is {what}: {thread['state_reason'] or 'no new replies'}")
    if data.parent_id is None:
        parent = await conn.fetchrow(
            """SELECT id, path, depth, deleted FROM forum_posts
                WHERE course_id = $1 AND thread_id = $2 AND parent_id IS NULL""",
            course_id,
            thread_id,
        )
    else:
        parent = await conn.fetchrow(
            """SELECT id, path, depth, deleted FROM forum_posts
                WHERE course_id = $1 AND thread_id = $2 AND id = $3""",
            course_id,
            thread_id,
            data.parent_id,
        )
        if parent is None:
            raise NotFound("no such parent post in this thread")
    if parent["depth"] + 1 > MAX_TREE_DEPTH:
        raise Unprocessable(f"replies nest at most {MAX_TREE_DEPTH} levels deep")
    await rate_limit_post(redis, principal, ctx, new_thread=False)
    counters = await q.update_thread_for_reply(conn, course_id, thread_id)
    seq = counters["post_seq"]
    row = await q.insert_post(
        conn, course_id, thread_id, parent["id"], seq, parent["path"] + f"{seq:08x}",
        parent["depth"] + 1, principal.user_id, data.anonymity, None, data.body,
        render_markdown(data.body), ctx.search_config,
    )  # fmt: skip
    await q.update_parent_reply_count(conn, course_id, parent["id"], 1)
    await q.insert_follow(conn, course_id, principal.user_id, "thread", thread_id)
    await q.upsert_read_after_own_post(
        conn, course_id, principal.user_id, thread_id, seq, thread["last_seq"]
    )
    await enqueue(conn, "forum_notify_post", course_id, row["id"], mentions_in(data.body),
                  course_id=course_id)  # fmt: skip
    await emit(conn, course_id, "post_created", thread_id, row["id"])
    return await get_post(conn, principal, row["id"], ctx=ctx)


async def get_post(conn, principal: Principal, post_id: int, *, ctx: Context | None = None):
    if ctx is None:
        ctx = await context(conn, principal)
        ctx.require_read()
    row = await q.select_post(conn, principal.course_id, post_id, principal.user_id)
    if row is None or not _post_visible(principal, row):
        raise NotFound("no such post")
    return post_view(principal, row, max_depth=ctx.settings.max_depth, read_seq=2**31)


def _post_visible(principal: Principal, row) -> bool:
    if principal.is_staff:
        return True
    if row["thread_deleted"] or (
        row["thread_hidden"] and row["thread_author_id"] != principal.user_id
    ):
        return False
    return True


async def _post_for_write(conn, principal: Principal, post_id: int):
    row = await q.select_post(conn, principal.course_id, post_id, principal.user_id)
    if row is None or not _post_visible(principal, row):
        raise NotFound("no such post")
    return row


async def _edit(conn, principal, post_id, *, body, title, reason, reason_code) -> None:
    ctx = await context(conn, principal)
    ctx.require_write()
    row = await _post_for_write(conn, principal, post_id)
    await q.select_post_for_update(conn, principal.course_id, post_id)
    mine = row["author_id"] == principal.user_id
    if not mine and not principal.is_staff:
        raise Forbidden("you can edit only your own posts")
    if row["deleted"]:
        raise Conflict("this post was deleted")
    if not mine and not reason_code:
        raise Unprocessable("a staff edit of someone else's post needs a reason_code")
    window = ctx.settings.edit_window_minutes
    if mine and not principal.is_staff and window:
        if datetime.now(UTC) - row["created_at"] > timedelta(minutes=window):
            raise Forbidden(f"posts can be edited for {window} minutes after posting")
    if title is not None and row["parent_id"] is not None:
        raise BadRequest("only a thread's opening post has a title")
    new_title = _clean_title(title) if title is not None else None
    await q.insert_revision(
        conn, principal.course_id, post_id, principal.user_id, clean_text(reason), reason_code,
        row["title"], row["body"],
    )  # fmt: skip
    new_body = body if body is not None else row["body"]
    await q.update_post_body(
        conn, principal.course_id, post_id, new_body, render_markdown(new_body), new_title
    )
    if new_title is not None:
        await q.update_thread_fields(conn, principal.course_id, row["thread_id"], title=new_title)
    if not mine:
        await q.insert_mod_action(
            conn, principal.course_id, principal.user_id, "post_edit", "post", post_id,
            clean_text(reason), {"reason_code": reason_code},
        )  # fmt: skip
    await emit(conn, principal.course_id, "post_edited", row["thread_id"], post_id)


async def edit_post(conn, principal: Principal, post_id: int, data: PostUpdate) -> PostRead:
    await _edit(
        conn, principal, post_id, body=data.body, title=None, reason=data.reason,
        reason_code=data.reason_code,
    )  # fmt: skip
    return await get_post(conn, principal, post_id)


async def delete_post(conn, principal: Principal, post_id: int) -> None:
    """Author (or staff) soft delete: the post stays as a placeholder, counters follow."""
    ctx = await context(conn, principal)
    ctx.require_read()
    row = await _post_for_write(conn, principal, post_id)
    if row["author_id"] != principal.user_id and not principal.is_staff:
        raise Forbidden("you can delete only your own posts")
    if row["deleted"]:
        return
    await q.update_post_flags(conn, principal.course_id, post_id, deleted=True)
    await _after_visibility_change(conn, principal.course_id, row, visible=False)
    if row["parent_id"] is None:
        await q.update_thread_fields(conn, principal.course_id, row["thread_id"], deleted=True)
    if row["author_id"] != principal.user_id:
        await q.insert_mod_action(
            conn, principal.course_id, principal.user_id, "post_delete", "post", post_id, ""
        )
    await emit(conn, principal.course_id, "thread_state", row["thread_id"], post_id)


async def _after_visibility_change(conn, course_id: int, row, *, visible: bool) -> None:
    if row["parent_id"] is not None:
        await q.update_parent_reply_count(conn, course_id, row["parent_id"], 1 if visible else -1)
    await q.update_thread_recount(conn, course_id, row["thread_id"])


async def set_post_hidden(
    conn, principal: Principal, post_id: int, hidden: bool, reason: str
) -> PostRead:
    require_staff(principal)
    row = await _post_for_write(conn, principal, post_id)
    await hide_post_row(conn, principal.course_id, row, hidden, reason, principal.user_id)
    return await get_post(conn, principal, post_id)


async def hide_post_row(conn, course_id: int, row, hidden: bool, reason: str, actor_id: int):
    """Hide or restore a post (staff action or auto-hide), logged, with counters kept right."""
    if row["hidden"] == hidden:
        return
    reason = clean_text(reason)
    await q.update_post_flags(conn, course_id, row["id"], hidden=hidden, hidden_reason=reason)
    if not row["deleted"]:
        await _after_visibility_change(conn, course_id, row, visible=not hidden)
    if row["parent_id"] is None:
        await q.update_thread_fields(conn, course_id, row["thread_id"], hidden=hidden)
    await q.insert_mod_action(
        conn, course_id, actor_id, "post_hide" if hidden else "post_restore", "post", row["id"],
        reason,
    )  # fmt: skip
    await emit(conn, course_id, "thread_state", row["thread_id"], row["id"])


async def vote(conn, principal: Principal, post_id: int, value: int) -> VoteRead:
    ctx = await context(conn, principal)
    ctx.require_write()
    row = await _post_for_write(conn, principal, post_id)
    if row["author_id"] == principal.user_id:
        raise Unprocessable("you cannot vote for your own post")
    if row["deleted"] or (row["hidden"] and not principal.is_staff):
        raise Conflict("this post cannot be voted on")
    course_id = principal.course_id
    if value:
        changed = await q.insert_vote(conn, course_id, post_id, principal.user_id)
    else:
        changed = await q.delete_vote(conn, course_id, post_id, principal.user_id)
    score = row["score"]
    if changed:
        score = await q.update_post_score(conn, course_id, post_id, 1 if value else -1)
        if row["parent_id"] is None:
            await q.update_thread_fields(conn, course_id, row["thread_id"], score=score)
        await emit(conn, course_id, "vote_changed", row["thread_id"], post_id)
    return VoteRead(post_id=post_id, score=score, voted=bool(value))


async def accept_answer(conn, principal: Principal, post_id: int, accepted: bool) -> PostRead:
    row = await _post_for_write(conn, principal, post_id)
    if row["thread_kind"] != "question":
        raise Conflict("only answers to a question can be accepted")
    if row["thread_author_id"] != principal.user_id:
        raise Forbidden("only the person who asked can accept an answer")
    if row["parent_id"] is None:
        raise Unprocessable("the question itself cannot be its answer")
    if row["deleted"] or row["hidden"]:
        raise Conflict("this post cannot be accepted")
    if accepted:
        await q.update_post_accepted(conn, principal.course_id, row["thread_id"], post_id)
    elif row["accepted"]:
        await q.update_post_accepted(conn, principal.course_id, row["thread_id"], None)
    await q.update_thread_recount(conn, principal.course_id, row["thread_id"])
    await emit(conn, principal.course_id, "thread_state", row["thread_id"], post_id)
    return await get_post(conn, principal, post_id)


async def endorse(conn, principal: Principal, post_id: int, endorsed: bool) -> PostRead:
    require_staff(principal)
    row = await _post_for_write(conn, principal, post_id)
    if row["parent_id"] is None:
        raise Unprocessable("endorse an answer or reply, not the opening post")
    if row["endorsed"] != endorsed:
        await q.update_post_endorsed(
            conn, principal.course_id, post_id, endorsed, principal.user_id if endorsed else None
        )
        await q.update_thread_recount(conn, principal.course_id, row["thread_id"])
        if endorsed and row["author_id"] != principal.user_id:
            await enqueue(
                conn, "forum_notify_endorsement", principal.course_id, post_id,
                principal.user_id, course_id=principal.course_id,
            )  # fmt: skip
        await emit(conn, principal.course_id, "thread_state", row["thread_id"], post_id)
    return await get_post(conn, principal, post_id)


async def revisions(conn, principal: Principal, post_id: int, cursor, limit):
    limit = page_limit(limit, 20, 100)
    row = await _post_for_write(conn, principal, post_id)
    if row["author_id"] != principal.user_id and not principal.is_staff:
        if row["hidden"] or row["deleted"]:
            raise NotFound("no such post")
    after = decode_cursor(cursor, (int,))
    rows = await q.select_revisions(
        conn, principal.course_id, post_id, after[0] if after else 0, limit + 1
    )
    items = []
    for r in rows[:limit]:
        # An author editing their anonymous post must stay as anonymous as the post.
        anonymity = row["anonymity"] if r["editor_id"] == row["author_id"] else "none"
        items.append(
            RevisionRead(
                id=r["id"],
                editor=author_view(
                    principal, r["editor_id"], r["editor_name"], anonymity, r["editor_role"]
                ),
                reason=r["reason"],
                reason_code=r["reason_code"],
                title=r["title"],
                body=r["body"],
                created_at=r["created_at"],
            )
        )
    next_cursor = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
    return RevisionPage(items=items, next_cursor=next_cursor)


# ---- search ---------------------------------------------------------------------------------


def _snippet(raw: str) -> str:
    """Escape the headline text, then turn the \\x02/\\x03 markers into <mark>."""
    text = escape(raw.replace("\x02", "\x00").replace("\x03", "\x01"), quote=True)
    return text.replace("\x00", "<mark>").replace("\x01", "</mark>")


async def search(
    conn, principal: Principal, course_id: int, text: str, cursor: str | None, limit: int | None
) -> SearchPage:
    ctx = await context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, 20, 50)
    text = text.strip()
    if not text or len(text) > 200:
        raise BadRequest("q must be 1 to 200 characters")
    after = decode_cursor(cursor, (float, int)) or [float("inf"), MAX_BIGINT]
    # Broad queries match tens of thousands of posts: with the default work_mem their bitmap
    # turns lossy and every row on its pages is rechecked, and a generic plan guesses the match
    # count (measured with EXPLAIN ANALYZE at 1M posts: 2-3x slower without these settings).
    async with conn.transaction():
        await q.set_local_search_planning(conn, SEARCH_WORK_MEM)
        rows = await q.select_search(
            conn, course_id, ctx.search_config, text, staff=principal.is_staff,
            user_id=principal.user_id, after=after, limit=limit + 1,
        )  # fmt: skip
    items = [
        SearchHit(
            thread_id=r["thread_id"],
            post_id=r["id"],
            title=r["thread_title"],
            snippet=_snippet(r["snippet"]),
            rank=r["rank"],
            author=author_view(
                principal, r["author_id"], r["author_name"], r["anonymity"], r["author_role"]
            ),
            created_at=r["created_at"],
        )
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last["rank"], last["id"])
    return SearchPage(items=items, next_cursor=next_cursor)


async def similar_threads(
    conn, principal: Principal, course_id: int, title: str, limit: int | None
) -> SimilarPage:
    ctx = await context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, 5, 20)
    title = title.strip()[:300]
    if len(title) < 3:
        return SimilarPage(items=[])
    if await q.has_trigram(conn):
        rows = await q.select_similar_trgm(conn, course_id, title, principal.is_staff, limit)
    else:
        rows = await q.select_similar_fts(
            conn, course_id, ctx.search_config, title, principal.is_staff, limit
        )
    return SimilarPage(items=[SimilarThread(**dict(r)) for r in rows])
