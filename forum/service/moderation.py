"""Moderation: thread state (pin, lock, close, hide), moving and duplicates, hiding posts,
flags and the queue, mute and ban, and the audit log of every moderator action."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from agora.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_text
from agora.names import like_prefix
from agora.pagination import decode_cursor, next_page, page_limit
from agora.schemas import MAX_ID
from agora.sessions import Principal
from agora.transactions import retry_on_conflict
from forum import rules
from forum.presenters import mod_action_view, queue_item_view, restriction_view, revision_view
from forum.queries import boards as board_sql
from forum.queries import moderation as mod_sql
from forum.queries import posts as post_sql
from forum.queries import revisions as revision_sql
from forum.queries import threads as thread_sql
from forum.queries.posts import PostDetail
from forum.queries.threads import ThreadRow
from forum.schemas import (
    FlagCreate,
    FlagRead,
    FlagResolve,
    ModLogFilter,
    ModLogPage,
    PostRead,
    QueuePage,
    RestrictionCreate,
    RestrictionList,
    RestrictionRead,
    RevisionRead,
    RevisionRedact,
    ThreadDuplicate,
    ThreadMove,
    ThreadRead,
    ThreadStateChange,
)
from forum.service.context import load_context, require_staff
from forum.service.live import emit
from forum.service.posts import after_visibility_change, get_post, post_for_write
from forum.service.threads import read_thread

SYSTEM_ACTOR = rules.AUTO_HIDE_ACTOR  # auto-hide: the audit log names no person
STATE_ACTIONS = {
    "pin": ("pinned", True), "unpin": ("pinned", False),
    "lock": ("locked", True), "unlock": ("locked", False),
    "close": ("closed", True), "reopen": ("closed", False),
    "hide": ("hidden", True), "restore": ("hidden", False),
}  # fmt: skip
ACTIONS_NEEDING_REASON = ("lock", "close", "hide")


# ---- threads --------------------------------------------------------------------------------


async def _thread_for_staff_change(
    conn: asyncpg.Connection, principal: Principal, thread_id: int
) -> ThreadRow:
    require_staff(principal)
    thread = await thread_sql.select_thread(conn, principal.course_id, thread_id, for_update=True)
    if thread is None:
        raise NotFound("no such thread")
    return thread


@retry_on_conflict
async def change_thread_state(
    conn: asyncpg.Connection, principal: Principal, thread_id: int, data: ThreadStateChange
) -> ThreadRead:
    await _thread_for_staff_change(conn, principal, thread_id)
    field, value = STATE_ACTIONS[data.action]
    reason = clean_text(data.reason)
    if data.action in ACTIONS_NEEDING_REASON and not reason:
        raise Unprocessable(f"say why: '{data.action}' needs a reason")
    course_id = principal.course_id
    await thread_sql.update_thread_fields(conn, course_id, thread_id, **{field: value})
    if data.action in ACTIONS_NEEDING_REASON:
        await thread_sql.update_thread_fields(conn, course_id, thread_id, state_reason=reason)
    await mod_sql.insert_mod_action(
        conn, course_id, principal.user_id, f"thread_{data.action}", target_kind="thread",
        target_id=thread_id, reason=reason,
    )  # fmt: skip
    await emit(conn, course_id, "thread_state", thread_id)
    return await read_thread(conn, principal, thread_id, limit=1)


@retry_on_conflict
async def move_thread(
    conn: asyncpg.Connection, principal: Principal, thread_id: int, data: ThreadMove
) -> ThreadRead:
    thread = await _thread_for_staff_change(conn, principal, thread_id)
    course_id = principal.course_id
    if await board_sql.select_board(conn, course_id, data.board_id) is None:
        raise NotFound("no such board")
    await thread_sql.update_thread_fields(conn, course_id, thread_id, board_id=data.board_id)
    await mod_sql.insert_mod_action(
        conn, course_id, principal.user_id, "thread_move", target_kind="thread",
        target_id=thread_id, reason=clean_text(data.reason),
        details={"from": thread.board_id, "to": data.board_id},
    )  # fmt: skip
    await emit(conn, course_id, "thread_state", thread_id)
    return await read_thread(conn, principal, thread_id, limit=1)


@retry_on_conflict
async def mark_duplicate(
    conn: asyncpg.Connection, principal: Principal, thread_id: int, data: ThreadDuplicate
) -> ThreadRead:
    """Close the thread as a duplicate of another, linking to it."""
    await _thread_for_staff_change(conn, principal, thread_id)
    if data.duplicate_of == thread_id:
        raise Unprocessable("a thread cannot duplicate itself")
    course_id = principal.course_id
    if await thread_sql.select_thread(conn, course_id, data.duplicate_of) is None:
        raise NotFound("no such original thread")
    await thread_sql.update_thread_fields(
        conn, course_id, thread_id, duplicate_of=data.duplicate_of, closed=True,
        state_reason=clean_text(data.reason) or "duplicate",
    )  # fmt: skip
    await mod_sql.insert_mod_action(
        conn, course_id, principal.user_id, "thread_duplicate", target_kind="thread",
        target_id=thread_id, reason=clean_text(data.reason),
        details={"duplicate_of": data.duplicate_of},
    )  # fmt: skip
    await emit(conn, course_id, "thread_state", thread_id)
    return await read_thread(conn, principal, thread_id, limit=1)


# ---- posts ----------------------------------------------------------------------------------


@retry_on_conflict
async def set_post_hidden(
    conn: asyncpg.Connection, principal: Principal, post_id: int, hidden: bool, reason: str
) -> PostRead:
    require_staff(principal)
    row = await post_for_write(conn, principal, post_id)
    await hide_post_row(conn, principal.course_id, row, hidden, reason, principal.user_id)
    return await get_post(conn, principal, post_id)


async def hide_post_row(
    conn: asyncpg.Connection,
    course_id: int,
    row: PostDetail,
    hidden: bool,
    reason: str,
    actor_id: int,
) -> None:
    """Hide or restore a post (staff action or auto-hide), logged, with counters kept right."""
    if row.hidden == hidden:
        return
    reason = clean_text(reason)
    await post_sql.update_post_flags(conn, course_id, row.id, hidden=hidden, hidden_reason=reason)
    if not row.deleted:
        await after_visibility_change(conn, course_id, row, visible=not hidden)
    if row.parent_id is None:
        await thread_sql.update_thread_fields(conn, course_id, row.thread_id, hidden=hidden)
    await mod_sql.insert_mod_action(
        conn, course_id, actor_id, "post_hide" if hidden else "post_restore", target_kind="post",
        target_id=row.id, reason=reason,
    )  # fmt: skip
    await emit(conn, course_id, "thread_state", row.thread_id, row.id)


@retry_on_conflict
async def redact_revision(
    conn: asyncpg.Connection,
    principal: Principal,
    post_id: int,
    revision_id: int,
    data: RevisionRedact,
) -> RevisionRead:
    """Withhold one revision's text from learners (staff keep it, with the reason); logged."""
    if not rules.can_redact(principal):
        raise Forbidden("only staff can redact a revision")
    row = await post_for_write(conn, principal, post_id)
    reason = clean_text(data.reason)
    if not reason:
        raise Unprocessable("say why the revision is redacted")
    course_id = principal.course_id
    if not await revision_sql.update_revision_redacted(
        conn, course_id, post_id, revision_id, redacted_by=principal.user_id, reason=reason
    ):
        raise NotFound("no such revision of this post")
    await mod_sql.insert_mod_action(
        conn, course_id, principal.user_id, "revision_redact", target_kind="post",
        target_id=post_id, reason=reason, details={"revision_id": revision_id},
    )  # fmt: skip
    revision = await revision_sql.select_revision(conn, course_id, post_id, revision_id)
    assert revision is not None  # updated above, in this transaction
    return revision_view(principal, row, revision)


# ---- flags ----------------------------------------------------------------------------------


@retry_on_conflict
async def flag_post(
    conn: asyncpg.Connection, principal: Principal, post_id: int, data: FlagCreate
) -> FlagRead:
    """Flag a post for staff; enough distinct flaggers hide it until staff decide."""
    ctx = await load_context(conn, principal)
    ctx.require_write()
    row = await post_for_write(conn, principal, post_id)
    if rules.is_own(principal, row):
        raise Unprocessable("you cannot flag your own post")
    if row.deleted:
        raise Conflict("this post was deleted")
    if not rules.takes_reactions(principal, row):
        raise Conflict("this post is already hidden while staff look at it")
    course_id = principal.course_id
    await mod_sql.insert_flag(
        conn, course_id, post_id, thread_id=row.thread_id, user_id=principal.user_id,
        reason=data.reason, note=clean_text(data.note),
    )  # fmt: skip
    auto_hidden = False
    flaggers = await mod_sql.count_open_flaggers(conn, course_id, post_id)
    if (
        flaggers >= ctx.settings.auto_hide_flags
        and not row.hidden
        and rules.flags_may_hide(row, author_role=row.author_role, thread_pinned=row.thread_pinned)
    ):
        await hide_post_row(
            conn, course_id, row, True, f"hidden automatically after {flaggers} flags",
            SYSTEM_ACTOR,
        )  # fmt: skip
        auto_hidden = True
    await thread_sql.update_thread_recount(conn, course_id, row.thread_id)
    return FlagRead(post_id=post_id, flagged=True, auto_hidden=auto_hidden)


@retry_on_conflict
async def resolve_flags(
    conn: asyncpg.Connection, principal: Principal, post_id: int, data: FlagResolve
) -> FlagRead:
    """Close a post's open flags: hide the post, or dismiss them."""
    require_staff(principal)
    row = await post_for_write(conn, principal, post_id)
    course_id = principal.course_id
    status = "hidden" if data.action == "hide" else "dismissed"
    count = await mod_sql.update_flags_resolved(
        conn, course_id, post_id, status=status, resolved_by=principal.user_id
    )
    reason = clean_text(data.reason)
    if data.action == "hide":
        await hide_post_row(conn, course_id, row, True, reason or "flagged", principal.user_id)
    elif row.hidden and await _hidden_by_flags(conn, course_id, post_id):
        # The flags were wrong, so is the hiding they caused; a hand-hidden post stays hidden.
        await hide_post_row(
            conn, course_id, row, False, reason or "flags dismissed", principal.user_id
        )
    await mod_sql.insert_mod_action(
        conn, course_id, principal.user_id, f"flags_{status}", target_kind="post",
        target_id=post_id, reason=reason, details={"flags": count},
    )  # fmt: skip
    await thread_sql.update_thread_recount(conn, course_id, row.thread_id)
    return FlagRead(post_id=post_id, flagged=False, auto_hidden=False)


async def _hidden_by_flags(conn: asyncpg.Connection, course_id: int, post_id: int) -> bool:
    """Was the post's current hiding the auto-hide (the system's), not a moderator's decision?
    A moderator confirming flags ('flags_hidden') on an auto-hidden post makes it theirs."""
    last = await mod_sql.select_last_hiding_action(conn, course_id, post_id)
    return last is not None and rules.hidden_by_flags(last["action"], last["actor_id"])


async def queue(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    cursor: str | None,
    limit: int | None,
) -> QueuePage:
    """Flagged posts waiting for staff, oldest flag first."""
    principal.require_course(course_id)
    require_staff(principal)
    limit = page_limit(limit, default=20, maximum=100)
    after = decode_cursor(cursor, (int,))
    rows = await mod_sql.select_queue(
        conn, course_id, after_flag_id=after[0] if after else 0, limit=limit + 1
    )
    page, next_cursor = next_page(rows, limit, lambda r: (r["first_flag_id"],))
    return QueuePage(items=[queue_item_view(principal, r) for r in page], next_cursor=next_cursor)


# ---- the audit log, mute and ban -----------------------------------------------------------


async def audit_log(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    cursor: str | None,
    limit: int | None,
    filters: ModLogFilter | None = None,
) -> ModLogPage:
    """Who did what, when and why, newest first, narrowed by `filters`."""
    principal.require_course(course_id)
    require_staff(principal)
    limit = page_limit(limit, default=50, maximum=200)
    after = decode_cursor(cursor, (int,))
    f = filters or ModLogFilter()
    learners = await _learner_filter(conn, course_id, f)
    if learners == []:
        return ModLogPage(items=[], next_cursor=None)  # nobody has that name
    rows = await mod_sql.select_mod_log(
        conn, course_id, before_id=after[0] if after else MAX_ID, limit=limit + 1,
        action=f.action, actor_id=f.moderator, target_user_ids=learners, since=f.since,
        until=f.until,
    )  # fmt: skip
    page, next_cursor = next_page(rows, limit, lambda r: (r["id"],))
    return ModLogPage(items=[mod_action_view(r) for r in page], next_cursor=next_cursor)


def log_filter(
    *,
    action: str | None = None,
    moderator: int | None = None,
    learner: int | None = None,
    learner_name: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> ModLogFilter:
    """The log's filters from a request: days are whole UTC days, `until` included."""
    if since and until and since > until:
        raise BadRequest("'since' is after 'until'")
    return ModLogFilter(
        action=action or None,
        moderator=moderator,
        learner=learner,
        learner_name=(learner_name or "").strip() or None,
        since=datetime.combine(since, time.min, UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None,
    )


async def moderators(
    conn: asyncpg.Connection, principal: Principal, course_id: int
) -> list[tuple[int, str]]:
    """The course's instructors and TAs (id, name): the log's moderator filter."""
    principal.require_course(course_id)
    require_staff(principal)
    return [(r["id"], r["name"]) for r in await mod_sql.select_moderators(conn, course_id)]


MAX_NAME_MATCHES = 500  # a name filter that matches more is too vague to be useful anyway


async def _learner_filter(
    conn: asyncpg.Connection, course_id: int, f: ModLogFilter
) -> list[int] | None:
    """The member ids the log is narrowed to (None: no learner filter)."""
    ids = None if f.learner is None else [f.learner]
    pattern = like_prefix(f.learner_name or "")
    if pattern is not None:
        named = await mod_sql.select_member_ids_by_name(
            conn, course_id, pattern, limit=MAX_NAME_MATCHES
        )
        ids = named if ids is None else [i for i in ids if i in named]
    return ids


async def restrict(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    user_id: int,
    data: RestrictionCreate,
) -> RestrictionRead:
    """Mute (read only) or ban (no access) a learner, for some hours or until lifted."""
    principal.require_course(course_id)
    require_staff(principal)
    role = await mod_sql.select_member_role(conn, course_id, user_id)
    if role is None:
        raise NotFound("no such member of this course")
    if not rules.can_be_restricted(role):
        raise Forbidden("instructors and teaching assistants cannot be muted or banned")
    expires_at = (
        datetime.now(UTC) + timedelta(hours=data.duration_hours) if data.duration_hours else None
    )
    reason = clean_text(data.reason)
    row = await mod_sql.upsert_restriction(
        conn, course_id, user_id, data.kind, reason=reason, expires_at=expires_at,
        created_by=principal.user_id,
    )  # fmt: skip
    await mod_sql.insert_mod_action(
        conn, course_id, principal.user_id, data.kind, target_kind="user", target_id=user_id,
        reason=reason, details={"expires_at": expires_at.isoformat() if expires_at else None},
    )  # fmt: skip
    return restriction_view(row)


async def lift(
    conn: asyncpg.Connection, principal: Principal, course_id: int, user_id: int, kind: str
) -> None:
    principal.require_course(course_id)
    require_staff(principal)
    if kind not in ("mute", "ban"):
        raise NotFound("no such restriction")
    if not await mod_sql.delete_restriction(conn, course_id, user_id, kind):
        raise NotFound("no such restriction")
    await mod_sql.insert_mod_action(
        conn, course_id, principal.user_id, f"un{kind}", target_kind="user", target_id=user_id,
        reason="",
    )  # fmt: skip


async def restrictions(
    conn: asyncpg.Connection, principal: Principal, course_id: int, user_id: int | None
) -> RestrictionList:
    """Restrictions in force: one member's, or everyone's when user_id is None."""
    principal.require_course(course_id)
    require_staff(principal)
    rows = await mod_sql.select_restrictions(conn, course_id, user_id)
    return RestrictionList(items=[restriction_view(r) for r in rows])
