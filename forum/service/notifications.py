"""Notifications: who a post notifies (a job, after commit), the inbox, the email digest."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, get_args
from urllib.parse import urlsplit

import aiosmtplib
import asyncpg

from agora import i18n, mail, web
from agora.errors import NotFound
from agora.outbox import enqueue
from agora.pagination import decode_cursor, next_page, page_limit
from agora.schemas import MAX_ID
from agora.sessions import Principal
from agora.settings import Settings
from forum.presenters import notification_view
from forum.queries import notifications as notification_sql
from forum.queries import posts as post_sql
from forum.rules import JobViewer
from forum.schemas import (
    NotificationKind,
    NotificationPage,
    NotificationPreference,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    NotificationsMark,
)
from forum.service.context import load_context

MENTION = re.compile(r"(?<![\w@])@([\w.\-]{2,64})")
DIGEST_BATCH = 200


def mentions_in(body: str) -> list[str]:
    return sorted({m.lower() for m in MENTION.findall(body)})[:20]


async def notify_post_later(
    conn: asyncpg.Connection, course_id: int, post_id: int, body: str
) -> None:
    """Queue the new post's notifications (forum.jobs.forum_notify_post) for after commit."""
    await enqueue(
        conn, "forum_notify_post", course_id, post_id, mentions_in(body), course_id=course_id
    )


# An announcement's fan-out: keyset batches of memberships, each one INSERT ... SELECT in its own
# short transaction. A job runs batches back to back for up to ANNOUNCE_BUDGET_SECONDS, so 160,000
# learners take a job or two instead of 32 hops through the queue.
ANNOUNCE_BATCH = 5000
ANNOUNCE_BUDGET_SECONDS = 30.0


async def announce_later(conn: asyncpg.Connection, course_id: int, post_id: int) -> None:
    """Start the announcement's fan-out (forum.jobs.forum_announce_batch) after commit."""
    await notification_sql.insert_fanout(conn, course_id, post_id)
    await enqueue(conn, "forum_announce_batch", course_id, post_id, 0, course_id=course_id)


async def announce_batch(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    after_user_id: int,
    *,
    batch: int = ANNOUNCE_BATCH,
) -> tuple[int, int | None] | None:
    """One batch, in one transaction: notify the next `batch` members after `after_user_id`
    (in-app, and by the email digest unless they chose otherwise), move the fan-out's position
    past them and queue a job to go on from there. (notified, next position or None when the
    fan-out is done); None when the position is no longer `after_user_id`: that batch already
    ran (a retried or superseded job), and whoever moved the position queued what follows."""
    async with conn.transaction():
        # Locked: a job waits for the batch in flight; if that batch rolls back, the position
        # is still here for it, so the fan-out never stalls.
        position = await notification_sql.select_fanout_position(conn, course_id, post_id)
        if position != after_user_id:
            return None
        notified, last_user_id, scanned = await notification_sql.insert_announcement_batch(
            conn, course_id, post_id, after_user_id, batch
        )
        done = scanned < batch or last_user_id is None
        await notification_sql.update_fanout(
            conn, course_id, post_id, after_user_id=last_user_id or after_user_id,
            notified=notified, done=done,
        )  # fmt: skip
        if not done:  # should this job end here (crash, budget), the next goes on
            await enqueue(
                conn, "forum_announce_batch", course_id, post_id, last_user_id,
                course_id=course_id,
            )  # fmt: skip
        else:  # email it now, not at the digest's next half hour
            await enqueue(conn, "forum_email_digest", course_id=course_id)
    return notified, None if done else last_user_id


async def announce_batches(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    after_user_id: int,
    *,
    batch: int = ANNOUNCE_BATCH,
    budget_seconds: float = ANNOUNCE_BUDGET_SECONDS,
) -> int:
    """Batches from `after_user_id` on, back to back, until the fan-out is done, another job
    has taken over, or the time budget is spent; how many members were notified. Run twice (a
    retry), it notifies nobody twice: each batch checks and moves the position under a lock."""
    deadline = time.monotonic() + budget_seconds
    notified, position = 0, after_user_id
    while True:
        step = await announce_batch(conn, course_id, post_id, position, batch=batch)
        if step is None:
            return notified
        count, next_position = step
        notified += count
        if next_position is None or time.monotonic() >= deadline:
            return notified
        position = next_position


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


# ---- preferences and unsubscribing ---------------------------------------------------------

PREFERENCE_KINDS = get_args(NotificationKind)
DEFAULT_DELIVERY = "email"
UNSUBSCRIBE = "unsubscribe-digest"  # the purpose signed into unsubscribe tokens


async def preferences(
    conn: asyncpg.Connection, principal: Principal, course_id: int, settings: Settings
) -> NotificationPreferences:
    """How the viewer hears of each kind of notification in this course."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    chosen = await notification_sql.select_preferences(conn, course_id, principal.user_id)
    return NotificationPreferences(
        course_id=course_id,
        items=[
            NotificationPreference(kind=k, delivery=chosen.get(k, DEFAULT_DELIVERY))
            for k in PREFERENCE_KINDS
        ],
        email_enabled=bool(settings.smtp_url),
    )


async def set_preferences(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    data: NotificationPreferencesUpdate,
    settings: Settings,
) -> NotificationPreferences:
    """Change the given kinds (the others keep theirs)."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    await notification_sql.upsert_preferences(
        conn, course_id, principal.user_id, {str(k): str(v) for k, v in data.preferences.items()}
    )
    return await preferences(conn, principal, course_id, settings)


def unsubscribe_token(key: bytes, course_id: int, user_id: int) -> str:
    return mail.sign(key, UNSUBSCRIBE, f"{course_id}:{user_id}")


async def unsubscribe(conn: asyncpg.Connection, token: str) -> str:
    """Stop the email digest of the course the token names (in-app notifications stay); the
    course's title. The signed token is the only credential: no session, as RFC 8058 wants."""
    payload = mail.verify(await mail.signing_key(conn), UNSUBSCRIBE, token)
    course_id, _, user_id = (payload or "").partition(":")
    if not (course_id.isdigit() and user_id.isdigit()):
        raise NotFound("this unsubscribe link is not valid")
    recipient = await notification_sql.select_recipient(conn, int(course_id), int(user_id))
    if recipient is None:
        raise NotFound("this unsubscribe link is not valid")
    await notification_sql.update_email_off(
        conn, int(course_id), int(user_id), list(PREFERENCE_KINDS)
    )
    title: str = recipient["course_title"]
    return title


# ---- the email digest -------------------------------------------------------------------------


def digest_message(
    settings: Settings,
    recipient: Mapping[str, Any],
    items: Sequence[asyncpg.Record],
    *,
    course_id: int,
    unsubscribe_url: str,
) -> EmailMessage:
    """The digest, text and HTML, in the recipient's language (their launch locale, else the
    course's); actors shown to the recipient through the anonymity rule; links into the course
    through the LMS when its resource link gives `lms_url`, else to Agora's own pages."""
    viewer = JobViewer(recipient["user_id"], recipient["role"])
    locale = i18n.choose_locale(recipient["locale"], recipient["course_language"])
    base = settings.base_url
    entries = []
    for row in items:
        view = notification_view(viewer, row)
        url = (
            recipient["lms_url"] or f"{base}/ui/courses/{course_id}/forum/threads/{view.thread_id}"
        )
        entries.append({"n": view, "url": url})
    context = {
        "name": recipient["name"], "course_title": recipient["course_title"],
        "entries": entries, "unsubscribe_url": unsubscribe_url,
        "course_url": recipient["lms_url"] or f"{base}/ui/courses/{course_id}/forum",
        "preferences_url": f"{base}/ui/courses/{course_id}/notifications/preferences",
    }  # fmt: skip
    gettext = i18n.translations(locale).ngettext
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient["email"]
    message["Subject"] = "[{course}] ".format(course=recipient["course_title"]) + gettext(
        "%(num)d forum notification", "%(num)d forum notifications", len(items)
    ) % {"num": len(items)}
    message["Message-ID"] = make_msgid(domain=urlsplit(base).hostname or "agora.localhost")
    # RFC 2369 + RFC 8058: mail clients offer one-click unsubscribe, POSTing to the URL.
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(web.render("forum/email_digest.txt", locale=locale, **context))
    message.add_alternative(
        web.render("forum/email_digest.html", locale=locale, **context), subtype="html"
    )
    message["Content-Language"] = locale  # after the parts: set_content moves Content-* down
    return message


async def digest_pending(conn: asyncpg.Connection) -> bool:
    """Whether some member still has notifications waiting for a digest."""
    return bool(await notification_sql.select_digest_recipients(conn, 1))


SendMail = Callable[[EmailMessage], Awaitable[None]]
SEND_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)


async def send_digests(conn: asyncpg.Connection, settings: Settings, send: SendMail) -> int:
    """Email each member their unread notifications of the kinds they get by email; how many
    emails went out.

    Never twice: a digest's notifications are marked emailed and the digest recorded (with its
    Message-ID) in a committed transaction *before* the SMTP conversation, so a retried or
    concurrent run (rows are locked, SKIP LOCKED) finds nothing left to send. If the server
    refuses or cannot be reached, the digest is marked failed, its notifications wait for the
    next run, and this run stops (the server is likely down for the others too). A worker dying
    mid-send leaves the digest 'sending': at most once, never twice.
    """
    sent = 0
    key = await mail.signing_key(conn)
    recipients = await notification_sql.select_digest_recipients(conn, DIGEST_BATCH)
    for target in recipients:
        course_id, user_id = target["course_id"], target["user_id"]
        message = None
        async with conn.transaction():
            items = await notification_sql.select_digest_items(conn, course_id, user_id)
            if not items:
                continue  # another worker holds them, or they were read meanwhile
            recipient = await notification_sql.select_recipient(conn, course_id, user_id)
            ids = [r["id"] for r in items]
            # No address or no longer a member: nothing to send, and nothing to retry forever.
            await notification_sql.update_notifications_emailed(conn, course_id, ids)
            if recipient is not None and recipient["email"]:
                token = unsubscribe_token(key, course_id, user_id)
                message = digest_message(
                    settings, {**dict(recipient), "user_id": user_id}, items,
                    course_id=course_id, unsubscribe_url=f"{settings.base_url}/unsubscribe/{token}",
                )  # fmt: skip
                digest_id = await notification_sql.insert_digest(
                    conn, course_id, user_id, ids, message["Message-ID"]
                )
        if message is None:
            continue
        try:
            await send(message)
        except SEND_ERRORS as error:
            await notification_sql.update_digest_failed(conn, course_id, digest_id, repr(error))
            break
        await notification_sql.update_digest_sent(conn, course_id, digest_id)
        sent += 1
    return sent
