"""Notifications, per-learner statistics and the participation export (CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from agora.db import Database
from agora.sessions import Principal
from forum import queries as q
from forum.schemas import (
    LearnerStats,
    LearnerStatsPage,
    NotificationPage,
    NotificationRead,
    NotificationsMark,
)
from forum.service import MAX_BIGINT, context, page_limit, require_staff
from forum.views import decode_cursor, encode_cursor
from forum.visibility import Viewer, author_view

EXPORT_BATCH = 5_000
EXPORT_COLUMNS = [
    "user_id", "name", "email", "role", "post_id", "thread_id", "type", "board", "thread_kind",
    "created_at",
]  # fmt: skip


def notification_view(viewer: Viewer, r) -> NotificationRead:
    # An endorsement's actor is the staff member, who is never anonymous; every other actor is
    # the post's author, shown through the anonymity rule.
    anonymity = "none" if r["kind"] == "endorsement" else r["anonymity"]
    return NotificationRead(
        id=r["id"],
        kind=r["kind"],
        thread_id=r["thread_id"],
        post_id=r["post_id"],
        thread_title=r["thread_title"],
        actor=author_view(viewer, r["actor_id"], r["actor_name"], anonymity, r["actor_role"]),
        read=r["read_at"] is not None,
        created_at=r["created_at"],
    )


async def notifications(
    conn, principal: Principal, course_id: int, *, unread_only: bool, cursor, limit
) -> NotificationPage:
    ctx = await context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, 20, 100)
    after = decode_cursor(cursor, (int,))
    rows = await q.select_notifications(
        conn, course_id, principal.user_id, unread_only=unread_only,
        before_id=after[0] if after else MAX_BIGINT, limit=limit + 1,
    )  # fmt: skip
    return NotificationPage(
        items=[notification_view(principal, r) for r in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None,
        unread=await q.count_unread_notifications(conn, course_id, principal.user_id),
    )


async def mark_notifications(
    conn, principal: Principal, course_id: int, data: NotificationsMark
) -> dict:
    principal.require_course(course_id)
    ids = None if data.all else (data.ids or [])
    marked = await q.update_notifications_read(conn, course_id, principal.user_id, ids)
    return {"marked": marked}


async def learner_stats(conn, principal: Principal, course_id: int, cursor, limit):
    principal.require_course(course_id)
    require_staff(principal)
    limit = page_limit(limit, 50, 500)
    after = decode_cursor(cursor, (int,))
    rows = await q.select_learner_stats(conn, course_id, after[0] if after else 0, limit + 1)
    return LearnerStatsPage(
        items=[LearnerStats(**dict(r)) for r in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1]["user_id"]) if len(rows) > limit else None,
    )


def export_rows_view(viewer: Viewer, rows) -> list[list]:
    """Rows of the participation export. The query already leaves out posts anonymous to all;
    the view rule still decides each attribution, so no author slips through a later change."""
    out = []
    for r in rows:
        author = author_view(viewer, r["author_id"], r["author_name"], r["anonymity"])
        if author.id is None:
            continue
        out.append(
            [
                author.id, author.name, r["email"], r["author_role"] or "", r["post_id"],
                r["thread_id"], "thread" if r["parent_id"] is None else "reply", r["board_name"],
                r["thread_kind"], r["created_at"].isoformat(),
            ]
        )  # fmt: skip
    return out


async def participation_csv(
    database: Database, principal: Principal, course_id: int
) -> AsyncIterator[str]:
    """The export, streamed in batches, each batch on a connection held only while fetching."""
    header = io.StringIO()
    csv.writer(header).writerow(EXPORT_COLUMNS)
    yield header.getvalue()
    after = 0
    while True:
        async with database.acquire() as conn:
            rows = await q.select_participation(conn, course_id, after, EXPORT_BATCH)
        if not rows:
            return
        after = rows[-1]["post_id"]
        buffer = io.StringIO()
        csv.writer(buffer).writerows(export_rows_view(principal, rows))
        yield buffer.getvalue()
        if len(rows) < EXPORT_BATCH:
            return


async def check_export_allowed(conn, principal: Principal, course_id: int) -> None:
    principal.require_course(course_id)
    require_staff(principal)
