"""Allocation of reviews: batch (every submission to k reviewers at once, by the arq job), dynamic
(`reviews/next` leases the least-reviewed submission), manual assignment and cancellation by
staff, and the staff's queue of submissions waiting for reviews."""

from __future__ import annotations

import secrets
from datetime import datetime

import asyncpg
import msgspec
import numpy as np

from agora.errors import Conflict, Forbidden, NotFound, Unprocessable
from agora.names import like_prefix
from agora.outbox import enqueue
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import rules
from peerreview import schemas as s
from peerreview.allocation import AllocationError, allocate_individual, allocate_teams
from peerreview.queries import allocations as queries
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import submissions as submission_queries
from peerreview.queries.assignments import Assignment
from peerreview.service.common import (
    list_limit,
    load_assignment,
    my_owner_key,
    now,
    require_instructor,
    require_staff,
)
from peerreview.service.submissions import submission_read


async def allocate_batch(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> s.AllocationRun:
    """Allocate every submission to k reviewers at once. Safe to run twice: the second run sees
    `allocated_at` and returns what the first did."""
    assignment = await assignment_queries.select_assignment(
        conn, course_id, assignment_id, for_update=True
    )
    if assignment is None:
        raise NotFound("no such assignment")
    if assignment.allocated_at is not None:
        count = await queries.count_allocations(conn, course_id, assignment_id)
        return s.AllocationRun(
            assignment_id=assignment_id,
            seed=assignment.allocation_seed or 0,
            allocations=count,
            repaired=0,
        )
    k = assignment.reviews_per_submission
    seed = secrets.randbits(62)
    units = await queries.select_submission_units(conn, course_id, assignment_id)
    sub_ids = np.array([u["id"] for u in units], dtype=np.int64)
    try:
        if assignment.team_submissions:
            members = await queries.select_team_reviewers(conn, course_id, assignment_id)
            sub_team = {u["team"]: i for i, u in enumerate(units)}
            labels = np.array(
                [sub_team.get(m["team"], len(units) + i) for i, m in enumerate(members)],
                dtype=np.int64,
            )
            result = allocate_teams(labels, len(units), k, seed)
            reviewer_ids = np.array([m["user_id"] for m in members], dtype=np.int64)
        else:
            team_of = [u["team"] for u in units]
            names = {t: i for i, t in enumerate(sorted({t for t in team_of if t is not None}))}
            groups = np.array(
                [names[t] if t is not None else len(names) + i for i, t in enumerate(team_of)],
                dtype=np.int64,
            )
            result = allocate_individual(len(units), k, seed, groups=groups if names else None)
            reviewer_ids = np.array([u["author_id"] for u in units], dtype=np.int64)
    except AllocationError as error:
        raise Conflict(f"cannot allocate: {error}") from None
    await queries.insert_allocations(
        conn,
        course_id,
        assignment_id,
        reviewers=reviewer_ids[result.reviewer].tolist(),
        submissions=sub_ids[result.submission].tolist(),
        source="batch",
    )
    await assignment_queries.update_assignment(
        conn, course_id, assignment_id, {"allocation_seed": seed, "allocated_at": now()}
    )
    return s.AllocationRun(
        assignment_id=assignment_id,
        seed=seed,
        allocations=int(result.reviewer.size),
        repaired=result.repaired,
    )


async def request_batch_allocation(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> dict[str, bool]:
    require_instructor(principal)
    assignment = await load_assignment(conn, principal, assignment_id)
    if assignment.allocation_mode != "batch":
        raise Conflict("this assignment allocates reviews dynamically")
    if not rules.allocation_phase(assignment):
        raise Conflict("allocate once submissions are in (submission or review phase)")
    await enqueue(
        conn,
        "peerreview_allocate",
        principal.course_id,
        assignment_id,
        course_id=principal.course_id,
    )
    return {"queued": True}


async def _excluded_owners(
    conn: asyncpg.Connection,
    principal: Principal,
    assignment: Assignment,
    my_key: str,
    team: str | None,
) -> list[str]:
    """Owner keys whose work this reviewer never gets: their own, and their team's."""
    keys = [my_key]
    if team is not None:
        members = await assignment_queries.select_team_members(
            conn, principal.course_id, assignment.id, team
        )
        keys += [f"u:{uid}" for uid in members]
        keys.append(f"t:{team}")
    return keys


async def next_review(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.ReviewTask:
    """Hand the reviewer their open allocation, or lease the least-reviewed submission."""
    assignment = await load_assignment(conn, principal, assignment_id)
    course_id = principal.course_id
    if principal.is_staff:
        raise Forbidden("staff score submissions directly; peer reviews are for learners")
    if not rules.reviewing_open(assignment, now()):
        return s.ReviewTask(available=False, reason="reviewing is not open")
    if rules.batch_pending(assignment):
        return s.ReviewTask(available=False, reason="reviews are being allocated; try again soon")
    key, team = await my_owner_key(conn, principal, assignment)
    state = await queries.select_reviewer_state(
        conn, course_id, assignment_id, reviewer_id=principal.user_id, owner=key
    )
    if state["submission_id"] is None:
        return s.ReviewTask(available=False, reason="submit your own work first")
    if state["answered"] < rules.calibration_required(assignment, state["examples"]):
        return s.ReviewTask(available=False, reason="calibration first")
    done = state["done"]
    required = assignment.reviews_required
    await queries.expire_leases(conn, course_id, assignment_id)
    current = await queries.select_open_allocation(
        conn, course_id, assignment_id, principal.user_id
    )
    excluded: list[str] | None = None
    if current is None and done >= required:
        # Done, but late work waits with fewer than k reviews: it is offered first (issue 13.3,
        # late submitters never starve once the on-time pool is reviewed).
        excluded = await _excluded_owners(conn, principal, assignment, key, team)
        starving = await queries.pick_starving(
            conn, course_id, assignment_id, reviewer_id=principal.user_id,
            excluded_owners=excluded, k=assignment.reviews_per_submission,
        )  # fmt: skip
        if starving is not None:
            current = await queries.insert_lease(
                conn, course_id, assignment_id, submission_id=starving,
                reviewer_id=principal.user_id, lease_seconds=assignment.lease_seconds,
            )  # fmt: skip
    if current is None and done >= required:
        return s.ReviewTask(
            available=False,
            reason="you have done the reviews required",
            reviews_done=done,
            reviews_required=required,
        )
    if current is None:
        picked = await queries.pick_submission(
            conn,
            course_id,
            assignment_id,
            reviewer_id=principal.user_id,
            excluded_owners=excluded
            or await _excluded_owners(conn, principal, assignment, key, team),
            k=assignment.reviews_per_submission,
            extra=assignment.extra_reviews,
        )
        if picked is None:
            return s.ReviewTask(
                available=False,
                reason="nothing to review yet; try again soon",
                reviews_done=done,
                reviews_required=required,
            )
        current = await queries.insert_lease(
            conn,
            course_id,
            assignment_id,
            submission_id=picked,
            reviewer_id=principal.user_id,
            lease_seconds=assignment.lease_seconds,
        )
        if current is None:  # a concurrent request of this reviewer leased first
            current = await queries.select_open_allocation(
                conn, course_id, assignment_id, principal.user_id
            )
        if current is None:  # …and that lease has already expired: ask again
            return s.ReviewTask(
                available=False,
                reason="nothing to review yet; try again soon",
                reviews_done=done,
                reviews_required=required,
            )
    sub = await submission_queries.select_submission(conn, course_id, current["submission_id"])
    assert sub is not None  # an allocation's submission outlives it
    return s.ReviewTask(
        available=True,
        allocation_id=current["id"],
        submission=submission_read(sub, show_author=False, show_source=False),
        lease_expires_at=current["lease_expires_at"],
        reviews_done=done,
        reviews_required=required,
    )


async def waiting(
    conn: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    cursor: str | None = None,
    limit: int | None = None,
    q: str | None = None,
) -> s.WaitingList:
    """Submissions with fewer than k completed reviews, the longest waiting first, with who
    submitted them (staff; `q` the start of their name or email)."""
    require_staff(principal)
    assignment = await load_assignment(conn, principal, assignment_id)
    limit = list_limit(limit)
    after = decode_cursor(cursor, (datetime, int))
    rows = await queries.select_waiting(
        conn,
        principal.course_id,
        assignment_id,
        assignment.reviews_per_submission,
        after=(after[0], after[1]) if after else None,
        limit=limit + 1,
        name=like_prefix(q or ""),
    )
    page, next_cursor = next_page(rows, limit, lambda r: (r["created_at"], r["id"]))
    items = [
        s.Waiting(
            submission_id=r["id"],
            author_id=r["author_id"],
            team=r["team"],
            reviews_done=r["reviews_done"],
            review_load=r["review_load"],
            waiting_since=r["created_at"],
            author=s.Person(id=r["author_id"], name=r["author_name"], email=r["author_email"]),
        )
        for r in page
    ]
    return s.WaitingList(items=items, next_cursor=next_cursor)


async def assign_manually(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.ManualAllocation
) -> s.AllocationRead:
    """Staff hand a submission to a learner to review (never their own or a teammate's)."""
    require_staff(principal)
    assignment = await load_assignment(conn, principal, assignment_id)
    course_id = principal.course_id
    sub = await submission_queries.select_submission(conn, course_id, data.submission_id)
    if sub is None or sub["assignment_id"] != assignment_id:
        raise NotFound("no such submission in this assignment")
    if data.reviewer_id not in set(await assignment_queries.select_learners(conn, course_id)):
        raise Unprocessable("the reviewer is not a learner of this course")
    team = await assignment_queries.select_team(conn, course_id, assignment_id, data.reviewer_id)
    author_team = None
    if team is not None and sub["team"] is None and sub["author_id"] != data.reviewer_id:
        author_team = await assignment_queries.select_team(
            conn, course_id, assignment_id, sub["author_id"]
        )
    if not rules.may_review_work(
        data.reviewer_id,
        team,
        author_id=sub["author_id"],
        team=sub["team"],
        author_team=author_team,
    ):
        raise Unprocessable("learners never review their own or a teammate's work")
    inserted = await queries.insert_allocations(
        conn,
        course_id,
        assignment.id,
        reviewers=[data.reviewer_id],
        submissions=[data.submission_id],
        source="manual",
    )
    if not inserted:
        raise Conflict("this learner already has (or did) this review")
    allocation = await queries.select_assigned(
        conn,
        course_id,
        assignment_id,
        reviewer_id=data.reviewer_id,
        submission_id=data.submission_id,
    )
    assert allocation is not None  # inserted just above
    return msgspec.convert(dict(allocation), s.AllocationRead)


async def cancel_allocation(
    conn: asyncpg.Connection, principal: Principal, allocation_id: int
) -> None:
    require_staff(principal)
    if await queries.cancel_allocation(conn, principal.course_id, allocation_id) is None:
        raise NotFound("no live allocation with this id")
