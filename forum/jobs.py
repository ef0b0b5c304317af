"""arq jobs of the forum (collected by agora.worker). Each takes ids and is safe to run twice."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from arq import Retry
from arq.cron import cron
from arq.worker import func

from agora import mail, storage
from agora.settings import Settings
from forum.service import attachments, grading, live, notifications


async def forum_publish(
    ctx: dict[str, Any], course_id: int, event_type: str, thread_id: int, post_id: int | None
) -> str:
    """Publish a live event. Reads the state as committed, so a retry publishes current state."""
    async with ctx["db"].acquire() as conn:
        data = await live.build_event(conn, course_id, event_type, thread_id, post_id)
    if not data:
        return ""
    try:
        return await live.publish(ctx["redis"], course_id, event_type, data)
    except live.NotYet as wait:  # an edit inside its post's window: one event at its end
        raise Retry(defer=wait.retry_after) from None


async def forum_notify_post(
    ctx: dict[str, Any], course_id: int, post_id: int, mentions: list[str]
) -> int:
    async with ctx["db"].acquire() as conn:
        return await notifications.notify_post(conn, course_id, post_id, mentions)


async def forum_announce_batch(
    ctx: dict[str, Any], course_id: int, post_id: int, after_user_id: int
) -> int:
    """An announcement's fan-out from `after_user_id` on, in batches (see
    notifications.announce_batches: a batch run twice notifies nobody twice)."""
    async with ctx["db"].acquire() as conn:
        return await notifications.announce_batches(conn, course_id, post_id, after_user_id)


async def forum_notify_endorsement(
    ctx: dict[str, Any], course_id: int, post_id: int, actor_id: int
) -> int:
    async with ctx["db"].acquire() as conn:
        return await notifications.notify_endorsement(conn, course_id, post_id, actor_id)


async def forum_email_digest(ctx: dict[str, Any]) -> int:
    """Email each member their digest (when AGORA_SMTP_URL is set); never twice (see
    notifications.send_digests)."""
    settings: Settings = ctx["settings"]
    if not settings.smtp_url:
        return 0
    server = mail.SmtpServer.from_url(settings.smtp_url)

    async def send(message: EmailMessage) -> None:
        await mail.send(server, message)

    async with ctx["db"].acquire() as conn:
        sent = await notifications.send_digests(conn, settings, send)
        more = sent > 0 and await notifications.digest_pending(conn)
    if more:  # a whole MOOC told at once (an announcement): the next run now, not in 30 min
        await ctx["redis"].enqueue_job("forum_email_digest")
    return sent


async def forum_grade_board(ctx: dict[str, Any], course_id: int, board_id: int) -> int:
    """Record a graded board's current scores for the LMS (only changed ones are sent)."""
    async with ctx["db"].acquire() as conn:
        return await grading.passback(conn, course_id, board_id)


async def forum_grade_sweep(ctx: dict[str, Any]) -> int:
    """Every few minutes: a job per 'count' board whose window is open or just closed."""
    async with ctx["db"].acquire() as conn:
        return await grading.sweep(conn)


async def forum_sweep_attachments(ctx: dict[str, Any]) -> int:
    """Hourly: delete stored files that have had no attachment row for an hour (a request that
    failed after writing them; a removed attachment)."""
    store = storage.open_store(ctx["settings"])
    async with ctx["db"].acquire() as conn:
        return await attachments.sweep_orphans(conn, store)


# Timeouts in seconds: a live event or a notification is a few queries; a digest run sends at most
# DIGEST_BATCH emails and commits each, so one cut short resumes at the next run.
FUNCTIONS: list[Any] = [
    func(forum_grade_board, name="forum_grade_board", timeout=300),
    func(forum_grade_sweep, name="forum_grade_sweep", timeout=60),
    func(forum_publish, name="forum_publish", timeout=30),
    func(forum_notify_post, name="forum_notify_post", timeout=60),
    func(forum_notify_endorsement, name="forum_notify_endorsement", timeout=60),
    func(forum_announce_batch, name="forum_announce_batch", timeout=120),
    func(forum_email_digest, name="forum_email_digest", timeout=60),
    func(forum_sweep_attachments, name="forum_sweep_attachments", timeout=300),
]
CRON_JOBS: list[Any] = [
    cron(forum_grade_sweep, minute=set(range(3, 60, 10)), run_at_startup=False, timeout=60),
    cron(forum_email_digest, minute={5, 35}, run_at_startup=False, timeout=60),
    cron(forum_sweep_attachments, minute={47}, run_at_startup=False, timeout=300),
]
