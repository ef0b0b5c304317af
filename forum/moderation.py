"""Flags, the moderation queue, mute/ban, and the audit log of every moderator action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agora.errors import Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_text
from agora.sessions import Principal
from forum import queries as q
from forum.schemas import (
    FlagCreate,
    FlagRead,
    FlagResolve,
    ModActionRead,
    ModLogPage,
    QueueItem,
    QueuePage,
    RestrictionCreate,
    RestrictionList,
    RestrictionRead,
)
from forum.service import (
    MAX_BIGINT,
    _post_for_write,
    context,
    hide_post_row,
    page_limit,
    require_staff,
)
from forum.views import decode_cursor, encode_cursor
from forum.visibility import author_view

SYSTEM_ACTOR = 0  # auto-hide: the audit log names no person


async def flag_post(conn, principal: Principal, post_id: int, data: FlagCreate) -> FlagRead:
    ctx = await context(conn, principal)
    ctx.require_write()
    row = await _post_for_write(conn, principal, post_id)
    if row["author_id"] == principal.user_id:
        raise Unprocessable("you cannot flag your own post")
    if row["deleted"]:
        raise Conflict("this post was deleted")
    course_id = principal.course_id
    await q.insert_flag(
        conn, course_id, post_id, row["thread_id"], principal.user_id, data.reason,
        clean_text(data.note),
    )  # fmt: skip
    auto_hidden = False
    flaggers = await q.count_open_flaggers(conn, course_id, post_id)
    if flaggers >= ctx.settings.auto_hide_flags and not row["hidden"]:
        await hide_post_row(
            conn, course_id, row, True, f"hidden automatically after {flaggers} flags",
            SYSTEM_ACTOR,
        )  # fmt: skip
        auto_hidden = True
    await q.update_thread_recount(conn, course_id, row["thread_id"])
    return FlagRead(post_id=post_id, flagged=True, auto_hidden=auto_hidden)


async def resolve_flags(conn, principal: Principal, post_id: int, data: FlagResolve) -> FlagRead:
    require_staff(principal)
    row = await _post_for_write(conn, principal, post_id)
    course_id = principal.course_id
    status = "hidden" if data.action == "hide" else "dismissed"
    count = await q.update_flags_resolved(conn, course_id, post_id, status, principal.user_id)
    reason = clean_text(data.reason)
    if data.action == "hide":
        await hide_post_row(conn, course_id, row, True, reason or "flagged", principal.user_id)
    await q.insert_mod_action(
        conn, course_id, principal.user_id, f"flags_{status}", "post", post_id, reason,
        {"flags": count},
    )  # fmt: skip
    await q.update_thread_recount(conn, course_id, row["thread_id"])
    return FlagRead(post_id=post_id, flagged=False, auto_hidden=False)


async def queue(conn, principal: Principal, course_id: int, cursor, limit) -> QueuePage:
    principal.require_course(course_id)
    require_staff(principal)
    limit = page_limit(limit, 20, 100)
    after = decode_cursor(cursor, (int,))
    rows = await q.select_queue(conn, course_id, after[0] if after else 0, limit + 1)
    items = [
        QueueItem(
            post_id=r["post_id"],
            thread_id=r["thread_id"],
            thread_title=r["thread_title"],
            author=author_view(
                principal, r["author_id"], r["author_name"], r["anonymity"], r["author_role"]
            ),
            body_html=r["body_html"],
            hidden=r["hidden"],
            flag_count=r["flag_count"],
            reasons=list(r["reasons"]),
            notes=list(r["notes"])[:20],
            first_flagged_at=r["first_flagged_at"],
        )
        for r in rows[:limit]
    ]
    next_cursor = encode_cursor(rows[limit - 1]["first_flag_id"]) if len(rows) > limit else None
    return QueuePage(items=items, next_cursor=next_cursor)


async def audit_log(conn, principal: Principal, course_id: int, cursor, limit) -> ModLogPage:
    principal.require_course(course_id)
    require_staff(principal)
    limit = page_limit(limit, 50, 200)
    after = decode_cursor(cursor, (int,))
    rows = await q.select_mod_actions(conn, course_id, after[0] if after else MAX_BIGINT, limit + 1)
    items = [
        ModActionRead(**{k: r[k] for k in ModActionRead.__struct_fields__}) for r in rows[:limit]
    ]
    next_cursor = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
    return ModLogPage(items=items, next_cursor=next_cursor)


async def restrict(
    conn, principal: Principal, course_id: int, user_id: int, data: RestrictionCreate
) -> RestrictionRead:
    principal.require_course(course_id)
    require_staff(principal)
    role = await q.select_member_role(conn, course_id, user_id)
    if role is None:
        raise NotFound("no such member of this course")
    if role != "learner":
        raise Forbidden("instructors and teaching assistants cannot be muted or banned")
    expires_at = (
        datetime.now(UTC) + timedelta(hours=data.duration_hours) if data.duration_hours else None
    )
    reason = clean_text(data.reason)
    row = await q.upsert_restriction(
        conn, course_id, user_id, data.kind, reason, expires_at, principal.user_id
    )
    await q.insert_mod_action(
        conn, course_id, principal.user_id, data.kind, "user", user_id, reason,
        {"expires_at": expires_at.isoformat() if expires_at else None},
    )  # fmt: skip
    return RestrictionRead(**{k: row[k] for k in RestrictionRead.__struct_fields__})


async def lift(conn, principal: Principal, course_id: int, user_id: int, kind: str) -> None:
    principal.require_course(course_id)
    require_staff(principal)
    if kind not in ("mute", "ban"):
        raise NotFound("no such restriction")
    if not await q.delete_restriction(conn, course_id, user_id, kind):
        raise NotFound("no such restriction")
    await q.insert_mod_action(conn, course_id, principal.user_id, f"un{kind}", "user", user_id, "")


async def restrictions(
    conn, principal: Principal, course_id: int, user_id: int | None
) -> RestrictionList:
    principal.require_course(course_id)
    require_staff(principal)
    rows = await q.select_restrictions(conn, course_id, user_id)
    return RestrictionList(
        items=[
            RestrictionRead(**{k: r[k] for k in RestrictionRead.__struct_fields__}) for r in rows
        ]
    )
