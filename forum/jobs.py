"""arq jobs of the forum (collected by agora.worker). Each takes ids and is safe to run twice."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from arq.cron import cron
from arq.worker import func

from forum import live
from forum import queries as q
from forum.activity import notification_view
from forum.visibility import JobViewer

log = logging.getLogger("forum.jobs")

DIGEST_BATCH = 200
KIND_TEXT = {
    "reply": "replied to your post",
    "mention": "mentioned you",
    "answer": "answered a question you follow",
    "endorsement": "endorsed your answer",
    "new_thread": "started a thread",
}


async def forum_publish(ctx, course_id: int, event_type: str, thread_id: int, post_id) -> str:
    """Publish a live event. Reads the state as committed, so a retry publishes current state."""
    async with ctx["db"].acquire() as conn:
        data = await live.build_event(conn, course_id, event_type, thread_id, post_id)
    if not data:
        return ""
    return await live.publish(ctx["redis"], course_id, event_type, data)


async def forum_notify_post(ctx, course_id: int, post_id: int, mentions: list[str]) -> int:
    async with ctx["db"].acquire() as conn:
        return await q.insert_post_notifications(conn, course_id, post_id, mentions)


async def forum_notify_endorsement(ctx, course_id: int, post_id: int, actor_id: int) -> int:
    async with ctx["db"].acquire() as conn:
        post = await conn.fetchrow(
            "SELECT author_id, thread_id FROM forum_posts WHERE course_id = $1 AND id = $2",
            course_id,
            post_id,
        )
        if post is None or post["author_id"] == actor_id:
            return 0
        await q.insert_notification(
            conn, course_id, post["author_id"], "endorsement", post["thread_id"], post_id,
            actor_id,
        )  # fmt: skip
        return 1


def _send(settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)


def digest_message(settings, recipient, items) -> EmailMessage:
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


async def forum_email_digest(ctx) -> int:
    """Email each member their unread, not yet emailed notifications (when SMTP is configured).

    Rows are locked while sending and marked emailed in the same transaction, so two workers never
    send the same digest; a crash after sending and before commit sends it again (at least once).
    """
    settings = ctx["settings"]
    if not settings.smtp_host:
        return 0
    sent = 0
    async with ctx["db"].acquire() as conn:
        recipients = await q.select_digest_recipients(conn, DIGEST_BATCH)
        for target in recipients:
            async with conn.transaction():
                items = await q.select_digest_items(conn, target["course_id"], target["user_id"])
                recipient = await q.select_recipient(conn, target["course_id"], target["user_id"])
                if not items or recipient is None:
                    continue
                if recipient["email"]:
                    message = digest_message(
                        settings, {**dict(recipient), "user_id": target["user_id"]}, items
                    )
                    await asyncio.to_thread(_send, settings, message)
                    sent += 1
                await q.update_notifications_emailed(
                    conn, target["course_id"], [r["id"] for r in items]
                )
    return sent


FUNCTIONS: list = [
    func(forum_publish, name="forum_publish"),
    func(forum_notify_post, name="forum_notify_post"),
    func(forum_notify_endorsement, name="forum_notify_endorsement"),
    func(forum_email_digest, name="forum_email_digest"),
]
CRON_JOBS: list = [cron(forum_email_digest, minute={5, 35}, run_at_startup=False)]
