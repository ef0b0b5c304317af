"""Late work: each learner's due date (their extension, else the deadline), whether they may
still submit, what lateness costs, and the extensions staff grant.

The policy is the assignment's schedule (peerreview.service.deadlines): a grace period in which
late work counts as on time, a penalty per started day past the due date with a cap, and whether
work later than due + grace is accepted at all (then until the review deadline). A learner with
an extension, or any learner when late work is accepted, may submit after a batch allocation: the
late work joins the pool and gets reviewers dynamically (least reviewed first), so it is never
starved.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from agora.errors import Conflict, NotFound, Unprocessable
from agora.markup import clean_text
from agora.outbox import enqueue
from agora.sessions import Principal
from peerreview import rules
from peerreview import schemas as s
from peerreview.queries import deadlines as deadline_queries
from peerreview.queries import extensions as queries
from peerreview.queries import submissions as submission_queries
from peerreview.queries.assignments import Assignment
from peerreview.service.common import (
    load_assignment,
    my_owner_key,
    now,
    require_staff,
)

MAX_EXTENSIONS = 500  # listed on the dashboard and by the API
LEARNER_CHOICES = 2_000  # the extension form's list of learners


def penalty_percent(
    policy: dict[str, Any], due: datetime | None, submitted_at: datetime | None
) -> float:
    """The late penalty (percent of the grade) of work saved at `submitted_at` against `due`:
    none within the grace period, else the penalty per started day late, capped. The SQL twin
    is peerreview.queries.deadlines.UPDATE_PENALTIES."""
    if due is None or submitted_at is None:
        return 0.0
    late = submitted_at - due
    if late <= timedelta(minutes=policy["grace_minutes"]):
        return 0.0
    days = math.ceil(late.total_seconds() / 86400)
    return float(min(policy["penalty_max"], policy["penalty_per_day"] * days))


def closes_at(
    assignment: Assignment, policy: dict[str, Any], due: datetime | None
) -> datetime | None:
    """The last moment a learner with this due date may submit (None: while the phase lasts)."""
    if due is None:
        return None
    closes = due + timedelta(minutes=policy["grace_minutes"])
    if policy["accept_late"]:
        review = assignment.review_deadline
        return None if review is None else max(closes, review)
    return closes


def may_submit(
    assignment: Assignment,
    policy: dict[str, Any],
    extended: bool,
    closes: datetime | None,
    at: datetime,
) -> bool:
    """Learners submit in the submission phase, and in the review phase when the assignment is
    self-paced or their work may come late (an extension, or late work accepted); after a batch
    allocation only late work joins (dynamically). Never past `closes`."""
    late_path = extended or bool(policy["accept_late"])
    if assignment.phase == "submission":
        phase_ok = late_path or not rules.batch_allocated(assignment)
    elif assignment.phase == "review":
        phase_ok = late_path or (
            assignment.allocation_mode == "dynamic" and not rules.batch_allocated(assignment)
        )
    else:
        phase_ok = False
    return phase_ok and (closes is None or at < closes)


async def submit_windows(
    conn: asyncpg.Connection, principal: Principal, assignments: list[Assignment], at: datetime
) -> dict[int, bool]:
    """Whether the viewer may submit to each assignment now, by the same rule as their due date
    page and the submit check (their extension, the grace period, late work accepted): by
    assignment id; staff never submit."""
    if principal.is_staff or not assignments:
        return {a.id: False for a in assignments}
    rows = await queries.select_submit_windows(
        conn, principal.course_id, [a.id for a in assignments], principal.user_id
    )
    windows = {r["assignment_id"]: r for r in rows}
    result = {}
    for a in assignments:
        row = windows[a.id]
        policy = dict(deadline_queries.SCHEDULE_DEFAULTS)
        if row["grace_minutes"] is not None:  # a schedule was set
            policy |= {"grace_minutes": row["grace_minutes"], "accept_late": row["accept_late"]}
        extended = row["extension_due"] is not None
        due = row["extension_due"] if extended else a.submission_deadline
        result[a.id] = may_submit(a, policy, extended, closes_at(a, policy, due), at)
    return result


async def late_status_for(
    conn: asyncpg.Connection, principal: Principal, assignment: Assignment, at: datetime
) -> s.LateStatus:
    """The viewer's due date, submission window and lateness (staff: never able to submit)."""
    course_id = principal.course_id
    policy = await deadline_queries.select_schedule(conn, course_id, assignment.id)
    extension = await queries.select_extension(conn, course_id, assignment.id, principal.user_id)
    due = extension["due_at"] if extension else assignment.submission_deadline
    closes = closes_at(assignment, policy, due)
    submitted_at = None
    if not principal.is_staff:
        try:
            key, _ = await my_owner_key(conn, principal, assignment)
        except Conflict:  # team work and in no team: nothing of theirs yet
            key = ""
        mine = await submission_queries.select_submission_of_owner(
            conn, course_id, assignment.id, key
        )
        submitted_at = mine["updated_at"] if mine else None
    can_submit = not principal.is_staff and may_submit(
        assignment, policy, extension is not None, closes, at
    )
    late_minutes = 0
    if due is not None and submitted_at is not None and submitted_at > due:
        late_minutes = int((submitted_at - due).total_seconds() // 60)
        if late_minutes <= policy["grace_minutes"]:
            late_minutes = 0
    return s.LateStatus(
        assignment_id=assignment.id,
        due_at=due,
        extended=extension is not None,
        extension_reason=extension["reason"] if extension else "",
        grace_minutes=policy["grace_minutes"],
        accept_late=policy["accept_late"],
        closes_at=closes,
        can_submit=can_submit,
        # open for this learner only by their extension or the late-work policy
        open_late=can_submit and not rules.can_submit(principal, assignment, at),
        submitted_at=submitted_at,
        late_minutes=late_minutes,
        penalty_percent=penalty_percent(policy, due, submitted_at),
        penalty_per_day=policy["penalty_per_day"],
        penalty_max=policy["penalty_max"],
    )


async def late_status(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.LateStatus:
    assignment = await load_assignment(conn, principal, assignment_id)
    return await late_status_for(conn, principal, assignment, now())


async def check_can_submit(
    conn: asyncpg.Connection, principal: Principal, assignment: Assignment
) -> None:
    """409 unless the learner may submit now (their due date, grace, extension and phase)."""
    status = await late_status_for(conn, principal, assignment, now())
    if status.can_submit:
        return
    if rules.batch_allocated(assignment) and rules.submissions_open(assignment, now()):
        raise Conflict("reviews are already allocated; submissions are closed")
    raise Conflict("submissions are closed for this assignment")


# ---- extensions (staff) ---------------------------------------------------------------------


async def _penalties_changed(conn: asyncpg.Connection, assignment: Assignment) -> None:
    """Rewrite the grades' late penalties; released grades go to the LMS again."""
    course_id = assignment.course_id
    changed = await deadline_queries.update_late_penalties(conn, course_id, assignment.id)
    if changed and assignment.phase == "released":
        await enqueue(conn, "peerreview_passback", course_id, assignment.id, course_id=course_id)


def _extension_read(row: asyncpg.Record, *, with_learner: bool = False) -> s.ExtensionRead:
    return s.ExtensionRead(
        assignment_id=row["assignment_id"],
        user_id=row["user_id"],
        due_at=row["due_at"],
        reason=row["reason"],
        granted_at=row["granted_at"],
        learner=s.Person(id=row["user_id"], name=row["name"], email=row["email"])
        if with_learner
        else None,
    )


async def grant_extension(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.ExtensionWrite
) -> s.ExtensionRead:
    """Give one learner a new due date (replacing an earlier extension); instructors and TAs."""
    require_staff(principal)
    assignment = await load_assignment(conn, principal, assignment_id, for_update=True)
    if data.due_at.tzinfo is None:
        raise Unprocessable("the due date needs a time zone, e.g. 2030-01-31T23:59:00Z")
    if assignment.phase in ("grading", "released"):
        raise Conflict("extensions end with the review phase")
    if not await queries.is_learner(conn, principal.course_id, data.user_id):
        raise Unprocessable("not a learner of this course")
    row = await queries.upsert_extension(
        conn, principal.course_id, assignment_id, user_id=data.user_id, due_at=data.due_at,
        reason=clean_text(data.reason), granted_by=principal.user_id,
    )  # fmt: skip
    await _penalties_changed(conn, assignment)
    return _extension_read(row)


async def revoke_extension(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, user_id: int
) -> None:
    require_staff(principal)
    assignment = await load_assignment(conn, principal, assignment_id, for_update=True)
    if not await queries.delete_extension(conn, principal.course_id, assignment_id, user_id):
        raise NotFound("this learner has no extension")
    await _penalties_changed(conn, assignment)


async def list_extensions(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.ExtensionList:
    require_staff(principal)
    await load_assignment(conn, principal, assignment_id)
    rows = await queries.select_extensions(conn, principal.course_id, assignment_id, MAX_EXTENSIONS)
    return s.ExtensionList(items=[_extension_read(r, with_learner=True) for r in rows])


async def learner_choices(conn: asyncpg.Connection, principal: Principal) -> list[s.Person]:
    require_staff(principal)
    rows = await queries.select_learner_choices(conn, principal.course_id, LEARNER_CHOICES)
    return [s.Person(id=r["id"], name=r["name"], email=r["email"]) for r in rows]


async def apply_late_penalties(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    """Write the late penalty of every grade of the assignment (after a grading run)."""
    return await deadline_queries.update_late_penalties(conn, course_id, assignment_id)
