"""Deadlines that act: the worker moves each assignment to its next phase when that phase's time
comes, and reminds learners before their deadlines.

The times: draft → submission at `opens_at`; submission → review at the submission deadline plus
the grace period; review → grading at the review deadline; grading → released at `release_at`,
once the grading run the switch queued has produced grades newer than every review. A switch is
the instructor's own phase change (peerreview.service.assignments.change_phase), so it queues
the same side effects (batch allocation, grading run, release and passback) in the same
transaction. `run_deadlines` is safe to run twice and concurrently: each due assignment is locked
(SKIP LOCKED) and its phase checked again under the lock. A switch that cannot happen yet (a
batch allocation with too few submissions) waits, and the dashboard says why.

Reminders: a learner who has not submitted gets one before their due date (their extension, else
the deadline), a reviewer short of their reviews one before the review deadline, `remind_hours`
ahead; once per learner and due time (a unique key), in the app, and by email through the outbox
(`peerreview_email_reminders`), each reminder claimed in a committed transaction before sending.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import cast
from urllib.parse import urlsplit

import aiosmtplib
import asyncpg

from agora import i18n
from agora.errors import Conflict, Unprocessable
from agora.outbox import enqueue
from agora.sessions import Principal
from agora.settings import Settings
from agora.web import PAGE_PREFIX
from peerreview import schemas as s
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import deadlines as queries
from peerreview.queries import submissions as submission_queries
from peerreview.queries.assignments import Assignment
from peerreview.service import assignments as assignments_service
from peerreview.service.common import load_assignment, now, require_instructor, require_staff

log = logging.getLogger("agora.peerreview")

SWITCH_BATCH = 200  # switches made per run; the next run (a minute later) takes the rest
REMINDER_BATCH = 200  # reminders emailed per claim
REMINDER_MINUTES = 10  # how often the worker writes reminders
FOLLOWS = {
    "submission": "draft",
    "review": "submission",
    "grading": "review",
    "released": "grading",
}


def scheduler(course_id: int) -> Principal:
    """Who switches phases at their time: the course's instructor role, no user."""
    return Principal(user_id=0, course_id=course_id, role="instructor", name="scheduler")


async def run_deadlines(
    conn: asyncpg.Connection, at: datetime | None = None, *, reminders: bool = True
) -> s.DeadlineRun:
    """Make every phase switch due at `at` (now by default), each in its own transaction, then
    (unless `reminders` is False) write the reminders due and queue their emails."""
    at = at or now()
    switched = []
    for row in await queries.select_due_switches(conn, at, SWITCH_BATCH):
        course_id, assignment_id, phase = row["course_id"], row["id"], row["phase"]
        try:
            async with conn.transaction():
                if not await queries.lock_assignment(conn, course_id, assignment_id):
                    continue  # another run is switching it
                current = await assignment_queries.select_assignment(conn, course_id, assignment_id)
                if current is None or current.phase != FOLLOWS[phase]:
                    continue  # switched meanwhile (by hand or by another run)
                await assignments_service.change_phase(
                    conn, scheduler(course_id), assignment_id, phase
                )
        except Conflict as waiting:
            log.info("assignment %s: the switch to %s waits: %s", assignment_id, phase, waiting)
            continue
        switched.append(f"{assignment_id}:{phase}")
        log.info("assignment %s moved to %s at its scheduled time", assignment_id, phase)
    written = await write_reminders(conn, at) if reminders else 0
    return s.DeadlineRun(switched=switched, reminders=written)


async def write_reminders(conn: asyncpg.Connection, at: datetime | None = None) -> int:
    """Write the reminders due at `at` (once each) and queue their emails; how many.

    A scan of every learner of the courses with a deadline near (about 1.7 s for 160,000
    learners), so the worker runs it every REMINDER_MINUTES, not every minute."""
    written = 0
    async with conn.transaction():
        for r in await queries.insert_reminders(conn, at or now()):
            written += r["n"]
            await enqueue(
                conn, "peerreview_email_reminders", r["course_id"], r["assignment_id"],
                course_id=r["course_id"],
            )  # fmt: skip
    return written


# ---- the schedule (staff) -------------------------------------------------------------------


def _check_time(value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise Unprocessable("times need a time zone, e.g. 2030-01-31T23:59:00Z")


async def set_schedule(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.ScheduleWrite
) -> s.ScheduleRead:
    """Set when the assignment opens and releases, and its late-work policy (instructors)."""
    require_instructor(principal)
    assignment = await load_assignment(conn, principal, assignment_id, for_update=True)
    _check_time(data.opens_at)
    _check_time(data.release_at)
    deadlines = [assignment.submission_deadline, assignment.review_deadline]
    if data.opens_at and any(d is not None and d <= data.opens_at for d in deadlines):
        raise Unprocessable("the assignment must open before its deadlines")
    if data.release_at and any(d is not None and d >= data.release_at for d in deadlines):
        raise Unprocessable("grades are released after the deadlines")
    await queries.upsert_schedule(
        conn, principal.course_id, assignment_id, opens_at=data.opens_at,
        release_at=data.release_at, grace_minutes=data.grace_minutes,
        accept_late=data.accept_late, penalty_per_day=data.penalty_per_day,
        penalty_max=data.penalty_max, remind_hours=data.remind_hours,
    )  # fmt: skip
    changed = await queries.update_late_penalties(conn, principal.course_id, assignment_id)
    if changed and assignment.phase == "released":
        await enqueue(
            conn, "peerreview_passback", principal.course_id, assignment_id,
            course_id=principal.course_id,
        )  # fmt: skip
    return await schedule_for(conn, assignment)


async def get_schedule(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.ScheduleRead:
    """The schedule with each switch, done or not, and the next one (staff)."""
    require_staff(principal)
    return await schedule_for(conn, await load_assignment(conn, principal, assignment_id))


async def schedule_for(conn: asyncpg.Connection, a: Assignment) -> s.ScheduleRead:
    policy = await queries.select_schedule(conn, a.course_id, a.id)
    grace = timedelta(minutes=int(policy["grace_minutes"]))
    review_at = a.submission_deadline + grace if a.submission_deadline else None
    times: list[tuple[s.Phase, datetime | None]] = [
        ("submission", policy["opens_at"]),
        ("review", review_at),
        ("grading", a.review_deadline),
        ("released", policy["release_at"]),
    ]
    phases = s.PHASES
    switches = [
        s.Switch(phase=p, at=t, done=phases.index(a.phase) >= phases.index(p)) for p, t in times
    ]
    upcoming = next((w for w in switches if not w.done), None)
    at = now()
    if upcoming is not None and upcoming.at is not None and upcoming.at <= at:
        upcoming.waiting = await _waiting_reason(conn, a, upcoming.phase)
    next_switch = upcoming if upcoming is not None and upcoming.at is not None else None
    return s.ScheduleRead(
        assignment_id=a.id, phase=cast(s.Phase, a.phase), opens_at=policy["opens_at"],
        submission_deadline=a.submission_deadline, review_deadline=a.review_deadline,
        release_at=policy["release_at"],
        grace_minutes=policy["grace_minutes"],
        accept_late=policy["accept_late"],
        penalty_per_day=policy["penalty_per_day"],
        penalty_max=policy["penalty_max"],
        remind_hours=policy["remind_hours"],
        switches=switches, next_switch=next_switch,
    )  # fmt: skip


async def _waiting_reason(conn: asyncpg.Connection, a: Assignment, phase: str) -> str:
    """Why a switch whose time has passed has not happened (yet)."""
    if phase == "review" and a.allocation_mode == "batch":
        k = a.reviews_per_submission
        count = await submission_queries.count_submissions(conn, a.course_id, a.id)
        if count < k + 1:
            return f"batch allocation needs at least {k + 1} submissions; there are {count}"
    if phase == "released":
        return "waiting for grades newer than the latest review (a grading run)"
    return "the worker switches it within a minute"


# ---- reminders: in the app, and by email ------------------------------------------------------


async def my_reminders(
    conn: asyncpg.Connection, principal: Principal, course_id: int, assignment_id: int | None
) -> s.ReminderList:
    principal.require_course(course_id)
    rows = await queries.select_reminders(
        conn, course_id, principal.user_id, assignment_id=assignment_id, limit=50
    )
    return s.ReminderList(items=[s.ReminderRead(**dict(r)) for r in rows])


async def dismiss_reminders(
    conn: asyncpg.Connection, principal: Principal, course_id: int, ids: list[int]
) -> dict[str, int]:
    principal.require_course(course_id)
    return {"read": await queries.update_reminders_read(conn, course_id, principal.user_id, ids)}


def reminder_message(
    settings: Settings, course_id: int, assignment_id: int, row: asyncpg.Record
) -> EmailMessage:
    locale = i18n.choose_locale(row["user_locale"], row["course_language"])
    gettext = i18n.translations(locale).gettext
    when = row["due_at"].strftime("%Y-%m-%d %H:%M UTC")
    url = f"{settings.base_url}{PAGE_PREFIX}/courses/{course_id}/assignments/{assignment_id}"
    if row["kind"] == "submission":
        line = gettext("Your work for “%(title)s” is due on %(when)s.")
    else:
        line = gettext("Your peer reviews for “%(title)s” are due on %(when)s.")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = row["email"]
    message["Subject"] = f"[{row['course_title']}] " + gettext("Reminder: %(title)s") % {
        "title": row["title"]
    }
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.base_url).hostname or "agora")
    greeting = gettext("Hello %(name)s,") % {"name": row["name"] or ""}
    body = line % {"title": row["title"], "when": when}
    message.set_content(f"{greeting}\n\n{body}\n\n{url}\n")
    message["Content-Language"] = locale
    return message


SendMail = Callable[[EmailMessage], Awaitable[None]]
SEND_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)


async def send_reminder_emails(
    conn: asyncpg.Connection,
    settings: Settings,
    course_id: int,
    assignment_id: int,
    send: SendMail,
) -> int:
    """Email the assignment's reminders not yet emailed; how many went out. Each batch is
    marked emailed and committed before sending: at most once, never twice."""
    sent = 0
    while True:
        async with conn.transaction():
            rows = await queries.claim_unsent_reminders(
                conn, course_id, assignment_id, REMINDER_BATCH
            )
        if not rows:
            return sent
        for row in rows:
            if not row["email"]:
                continue
            try:
                await send(reminder_message(settings, course_id, assignment_id, row))
            except SEND_ERRORS:
                # The server is likely down for the others too: they wait for the next run
                # (this one may have gone out, so it is not sent again).
                rest = [r["id"] for r in rows if r["id"] > row["id"]]
                await queries.update_reminders_unclaimed(conn, course_id, rest)
                raise
            sent += 1
