"""arq jobs of this context (collected by agora.worker). They take ids and are safe to rerun."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any

from arq.cron import cron
from arq.worker import func

from agora import mail, storage
from agora.settings import Settings
from peerreview.service import attachments, deadlines, review_quality
from peerreview.service.allocations import allocate_batch
from peerreview.service.extensions import apply_late_penalties
from peerreview.service.grades import run_grading
from peerreview.service.passback import passback

log = logging.getLogger("agora.peerreview")


async def peerreview_allocate(
    ctx: dict[str, Any], course_id: int, assignment_id: int
) -> dict[str, int]:
    """Batch allocation at the review phase start (idempotent: allocated_at guards a rerun)."""
    async with ctx["db"].acquire() as conn, conn.transaction():
        run = await allocate_batch(conn, course_id, assignment_id)
    log.info("allocated assignment %s: %s reviews", assignment_id, run.allocations)
    return {"allocations": run.allocations, "seed": run.seed}


async def peerreview_grade(
    ctx: dict[str, Any], course_id: int, assignment_id: int
) -> dict[str, int]:
    """A grading run: recomputes every estimate (overrides and release state are kept)."""
    async with ctx["db"].acquire() as conn, conn.transaction():
        run = await run_grading(conn, course_id, assignment_id)
        await apply_late_penalties(conn, course_id, assignment_id)
    return {"graded": run.graded, "doubtful": run.doubtful}


async def peerreview_passback(ctx: dict[str, Any], course_id: int, assignment_id: int) -> int:
    """Request AGS score passback for every released grade (idempotent per the LTI contract)."""
    async with ctx["db"].acquire() as conn, conn.transaction():
        return await passback(conn, course_id, assignment_id)


async def peerreview_review_quality(
    ctx: dict[str, Any], course_id: int, assignment_id: int
) -> int | None:
    """Rescore the reviewers after helpfulness ratings (a burst of them: the last job does it)."""
    job_id = str(ctx.get("job_id", ""))
    outbox_id = int(job_id.removeprefix("outbox-")) if job_id.startswith("outbox-") else None
    async with ctx["db"].acquire() as conn, conn.transaction():
        return await review_quality.rescore(conn, course_id, assignment_id, outbox_id)


async def peerreview_deadlines(ctx: dict[str, Any]) -> dict[str, Any]:
    """Every minute: the phase switches whose time has come (safe to run twice or
    concurrently: see peerreview.service.deadlines)."""
    async with ctx["db"].acquire() as conn:
        run = await deadlines.run_deadlines(conn, reminders=False)
    return {"switched": run.switched}


async def peerreview_reminders(ctx: dict[str, Any]) -> int:
    """Every few minutes: the deadline reminders due, written once each, emails queued."""
    async with ctx["db"].acquire() as conn:
        return await deadlines.write_reminders(conn)


async def peerreview_email_reminders(
    ctx: dict[str, Any], course_id: int, assignment_id: int
) -> int:
    """Email the assignment's new deadline reminders (when AGORA_SMTP_URL is set), once each."""
    settings: Settings = ctx["settings"]
    if not settings.smtp_url:
        return 0
    server = mail.SmtpServer.from_url(settings.smtp_url)

    async def send(message: EmailMessage) -> None:
        await mail.send(server, message)

    async with ctx["db"].acquire() as conn:
        return await deadlines.send_reminder_emails(conn, settings, course_id, assignment_id, send)


async def peerreview_sweep_attachments(ctx: dict[str, Any]) -> int:
    """Hourly: delete stored submission files that have had no row for an hour."""
    store = storage.open_store(ctx["settings"])
    async with ctx["db"].acquire() as conn:
        return await attachments.sweep_orphans(conn, store)


# Allocation and grading work on a whole assignment: long. Passback only records the scores to
# send (lti_publish_scores jobs send them, a batch each): minutes.
FUNCTIONS: list[Any] = [
    func(peerreview_allocate, name="peerreview_allocate", timeout=1800),
    func(peerreview_grade, name="peerreview_grade", timeout=1800),
    func(peerreview_passback, name="peerreview_passback", timeout=300, max_tries=5),
    # no refit, one pass of numpy over the stored grades: minutes at most
    func(peerreview_review_quality, name="peerreview_review_quality", timeout=300),
    func(peerreview_deadlines, name="peerreview_deadlines", timeout=120),
    func(peerreview_reminders, name="peerreview_reminders", timeout=120),
    func(peerreview_email_reminders, name="peerreview_email_reminders", timeout=300),
    func(peerreview_sweep_attachments, name="peerreview_sweep_attachments", timeout=300),
]
CRON_JOBS: list[Any] = [
    cron(peerreview_sweep_attachments, minute={53}, run_at_startup=False, timeout=300),
    cron(peerreview_deadlines, second={0}, run_at_startup=False, timeout=120, unique=True),
    cron(
        peerreview_reminders,
        minute=set(range(0, 60, deadlines.REMINDER_MINUTES)),
        second={30},
        run_at_startup=False,
        timeout=120,
        unique=True,
    ),
]
