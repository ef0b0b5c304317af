"""Notifications: who a post notifies (a job, after commit), the inbox, the email digest."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from email.message import EmailMessage
from typing import Any

import asyncpg

from agora.outbox import enqueue
from agora.pagination import decode_cursor, next_page, page_limit
from agora.schemas import MAX_ID
from agora.sessions import Principal
from agora.settings import Settings
from forum.presenters import notification_view
from forum.queries import notifications as notification_sql
from forum.queries import posts as post_sql
from forum.rules import JobViewer
from forum.schemas import NotificationPage, NotificationsMark
from forum.service.context import load_context

MENTION = re.compile(r"(?<![\w@])@([\w.\-]{2,64})")
DIGEST_BATCH = 200
KIND_TEXT = {
    "reply": "replied to your post",
    "mention": "mentioned you",
    "answer": "answered a question you follow",
    "endorsement": "endorsed your answer",
    "new_thread": "started a thread",
}


def mentions_in(body: str) -> list[str]:
    return sorted({m.lower() for m in MENTION.findall(body)})[:20]


async def notify_post_later(
    conn: asyncpg.Connection, course_id: int, post_id: int, body: str
) -> None:
    """Queue the new post's notifications (forum.jobs.forum_notify_post) for after commit."""
    await enqueue(
        conn, "forum_notify_post", course_id, post_id, mentions_in(body), course_id=course_id
    )


async def notify_endorsement_later(
    conn: asyncpg.Connection, course_id: int, post_id: int, actor_id: int
) -> None:
    await enqueue(
        conn, "forum_notify_endorsement", course_id, post_id, actor_id, course_id=course_id
    )


async def notify_post(
    conn: asyncpg.Connection, course_id: int, post_id: int, mentions: list[str]
) -> int:
    """Write the post's notifications; how many (0 when run again)."""
    return await notification_sql.insert_post_notifications(conn, course_id, post_id, mentions)


async def notify_endorsement(
    conn: asyncpg.Connection, course_id: int, post_id: int, actor_id: int
) -> int:
    """Tell the author their post was endorsed (not when they endorsed it themselves)."""
    post = await post_sql.select_post_author(conn, course_id, post_id)
    if post is None or post["author_id"] == actor_id:
        return 0
    await notification_sql.insert_notification(
        conn, course_id, post["author_id"], "endorsement", thread_id=post["thread_id"],
        post_id=post_id, actor_id=actor_id,
    )  # fmt: skip
    return 1


async def notifications(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    *,
    unread_only: bool,
    cursor: str | None,
    limit: int | None,
) -> NotificationPage:
    """The viewer's notifications, newest first, with their unread count."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, default=20, maximum=100)
    after = decode_cursor(cursor, (int,))
    rows = await notification_sql.select_notifications(
        conn, course_id, principal.user_id, unread_only=unread_only,
        before_id=after[0] if after else MAX_ID, limit=limit + 1,
    )  # fmt: skip
    page, next_cursor = next_page(rows, limit, lambda r: (r["id"],))
    return NotificationPage(
        items=[notification_view(principal, r) for r in page],
        next_cursor=next_cursor,
        unread=await notification_sql.count_unread_notifications(
            conn, course_id, principal.user_id
        ),
    )


async def mark_notifications(
    conn: asyncpg.Connection, principal: Principal, course_id: int, data: NotificationsMark
) -> dict[str, int]:
    principal.require_course(course_id)
    ids = None if data.all else (data.ids or [])
    marked = await notification_sql.update_notifications_read(
        conn, course_id, principal.user_id, ids
    )
    return {"marked": marked}


# ---- the email digest -------------------------------------------------------------------------


def digest_message(
    settings: Settings, recipient: dict[str, Any], items: Sequence[asyncpg.Record]
) -> EmailMessage:
    """The digest email; actors are shown to the recipient through the anonymity rule."""
    viewer = JobViewer(recipient["user_id"], recipient["role"])
    lines = [f"Hello {recipient['name'] or 'there'},", "", "New in the course forum:", ""]
    for row in items:
        view = notification_view(viewer, row)
        lines.append(f"- {view.actor.name} {KIND_TEXT[view.kind]}: {view.thread_title}")
    lines += ["", f"Open the forum from your course: {recipient['course_title']}"]
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient["email"]
    message["Subject"] = f"[{recipient['course_title']}] {len(items)} forum notification(s)"
    message.set_content("\n".join(lines))
    return message


async def send_digests(
    conn: asyncpg.Connection,
    settings: Settings,
    send: Callable[[EmailMessage], Awaitable[None]],
) -> int:
    """Email each member their unread, not yet emailed notifications; how many emails.

    Rows are locked while sending and marked emailed in the same transaction, so two workers never
    send the same digest; a crash after sending and before commit sends it again (at least once).
    """
    sent = 0
    recipients = await notification_sql.select_digest_recipients(conn, DIGEST_BATCH)
    for target in recipients:
        course_id, user_id = target["course_id"], target["user_id"]
        async with conn.transaction():
            items = await notification_sql.select_digest_items(conn, course_id, user_id)
            recipient = await notification_sql.select_recipient(conn, course_id, user_id)
            if not items or recipient is None:
                continue
            if recipient["email"]:
                await send(digest_message(settings, {**dict(recipient), "user_id": user_id}, items))
                sent += 1
            await notification_sql.update_notifications_emailed(
                conn, course_id, [r["id"] for r in items]
            )
    return sent
