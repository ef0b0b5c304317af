"""Assignments: create, list, read, edit, move through the phases (each move queues its side
effect in the same transaction), and set teams."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from agora import remote_images
from agora.errors import BadRequest, Conflict, Unprocessable
from agora.markup import clean_text
from agora.outbox import enqueue
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import rules, steps
from peerreview import schemas as s
from peerreview.queries import assignments as queries
from peerreview.queries import grades as grade_queries
from peerreview.queries import self_assessments as self_assessment_queries
from peerreview.queries import submissions as submission_queries
from peerreview.queries.assignments import Assignment
from peerreview.service import calibration, extensions
from peerreview.service.common import (
    list_limit,
    load_assignment,
    now,
    require_instructor,
    rubric_points,
)


def assignment_read(
    assignment: Assignment, viewer: Principal, *, can_submit: bool = False
) -> s.AssignmentRead:
    """The assignment with what this viewer may do with it now; `can_submit` comes from
    peerreview.service.extensions.submit_windows (a learner's extension counts)."""
    at = now()
    return msgspec.convert(
        msgspec.structs.asdict(assignment)
        | {
            "can_manage": rules.can_manage_assignment(viewer),
            "can_supervise": rules.can_supervise(viewer),
            "can_submit": can_submit,
            "can_calibrate": rules.can_calibrate(viewer, assignment),
            "can_review": rules.can_review(viewer, assignment, at),
            "can_allocate": rules.can_allocate(viewer, assignment),
            "can_run_grading": rules.can_run_grading(viewer, assignment),
            "next_phase": rules.next_phase(viewer, assignment),
            "can_self_assess": rules.can_self_assess(viewer, assignment, at),
            # The seed replays the whole batch allocation, i.e. who reviews whom: staff only.
            "allocation_seed": assignment.allocation_seed if rules.can_supervise(viewer) else None,
        },
        s.AssignmentRead,
    )


def _rubric(data: list[s.Criterion]) -> tuple[list[dict[str, Any]], float]:
    """The stored rubric and the points possible (the weighted total's maximum). A scored
    criterion needs 2 to 10 options; a comment-only one none (it asks for a comment instead)."""
    for i, c in enumerate(data, start=1):
        if c.comment_only and c.options:
            raise BadRequest(f"criterion {i} is comment-only: it has no options")
        if not c.comment_only and len(c.options) < 2:
            raise BadRequest(f"criterion {i} needs at least 2 options (or make it comment-only)")
    rubric = [
        {
            "name": clean_text(c.name),
            "description": clean_text(c.description),
            "comments": c.comments or c.comment_only,
            "options": [{"label": clean_text(o.label), "points": o.points} for o in c.options],
            "weight": c.weight,
            "comment_only": c.comment_only,
            "comment_required": c.comment_required,
        }
        for c in data
    ]
    return rubric, float(sum(rubric_points(rubric)[1]))


def _check_deadlines(submission: datetime | None, review: datetime | None) -> None:
    for value in (submission, review):
        if value is not None and value.tzinfo is None:
            raise BadRequest("deadlines need a time zone, e.g. 2030-01-31T23:59:00Z")
    if submission and review and review <= submission:
        raise Unprocessable("the review deadline must come after the submission deadline")


async def create_assignment(
    conn: asyncpg.Connection, principal: Principal, course_id: int, data: s.AssignmentCreate
) -> s.AssignmentRead:
    principal.require_course(course_id)
    require_instructor(principal)
    rubric, points = _rubric(data.rubric)
    if points <= 0:
        raise Unprocessable("the rubric must be worth more than 0 points")
    _check_deadlines(data.submission_deadline, data.review_deadline)
    if problem := steps.steps_error(data):
        raise Unprocessable(problem)
    assignment = await queries.insert_assignment(
        conn,
        course_id,
        title=clean_text(data.title) or "Untitled",
        prompt=data.prompt,
        prompt_html=await remote_images.rendered(conn, data.prompt),
        rubric=rubric,
        points_possible=points,
        reviews_per_submission=data.reviews_per_submission,
        reviews_required=(
            data.reviews_per_submission if data.reviews_required is None else data.reviews_required
        ),
        calibration_required=data.calibration_required,
        submission_deadline=data.submission_deadline,
        review_deadline=data.review_deadline,
        allocation_mode=data.allocation_mode,
        grading_method=data.grading_method,
        team_submissions=data.team_submissions,
        lease_seconds=data.lease_seconds,
        extra_reviews=data.extra_reviews,
        created_by=principal.user_id,
        peer_review=data.peer_review,
        self_assessment=data.self_assessment,
        peer_weight=data.peer_weight,
        self_weight=data.self_weight,
        review_quality_weight=data.review_quality_weight,
    )
    return assignment_read(assignment, principal)


async def list_assignments(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    cursor: str | None = None,
    limit: int | None = None,
) -> s.AssignmentList:
    principal.require_course(course_id)
    limit = list_limit(limit)
    after = decode_cursor(cursor, (int,))
    rows = await queries.select_assignments(
        conn,
        course_id,
        after_id=after[0] if after else 0,
        limit=limit + 1,
        include_drafts=principal.is_staff,
    )
    page, next_cursor = next_page(rows, limit, lambda a: (a.id,))
    windows = await extensions.submit_windows(conn, principal, page, now())
    return s.AssignmentList(
        items=[assignment_read(a, principal, can_submit=windows[a.id]) for a in page],
        next_cursor=next_cursor,
    )


async def get_assignment(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.AssignmentRead:
    assignment = await load_assignment(conn, principal, assignment_id)
    windows = await extensions.submit_windows(conn, principal, [assignment], now())
    return assignment_read(assignment, principal, can_submit=windows[assignment.id])


async def update_assignment(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.AssignmentUpdate
) -> s.AssignmentRead:
    require_instructor(principal)
    assignment = await load_assignment(conn, principal, assignment_id, for_update=True)
    values = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not None}
    if "title" in values:
        values["title"] = clean_text(values["title"]) or assignment.title
    if "prompt" in values:
        values["prompt_html"] = await remote_images.rendered(conn, values["prompt"])
    fixed = "rubric" in values or "reviews_per_submission" in values or "allocation_mode" in values
    if fixed or values.get("peer_review", assignment.peer_review) != assignment.peer_review:
        if rules.settings_fixed(assignment):
            raise Conflict(
                "the rubric, k, allocation mode and peer review are fixed once reviewing starts"
            )
    if values.get("team_submissions", assignment.team_submissions) != assignment.team_submissions:
        if assignment.phase != "draft":  # submissions are a learner's or a team's, never both
            raise Conflict("team work is switched on or off while the assignment is a draft")
    if data.rubric is not None:
        values["rubric"], values["points_possible"] = _rubric(data.rubric)
        await calibration.rescore_examples(
            conn, principal.course_id, assignment_id, values["rubric"]
        )
    _check_deadlines(
        values.get("submission_deadline", assignment.submission_deadline),
        values.get("review_deadline", assignment.review_deadline),
    )
    step_fields = (
        "peer_review",
        "self_assessment",
        "peer_weight",
        "self_weight",
        "review_quality_weight",
    )
    if any(f in values for f in step_fields):
        merged = msgspec.structs.replace(
            assignment, **{f: values[f] for f in step_fields if f in values}
        )
        if problem := steps.steps_error(merged):
            raise Unprocessable(problem)
    updated = await queries.update_assignment(conn, principal.course_id, assignment_id, values)
    if any(f in values for f in step_fields):  # grades already computed follow the new weights
        await self_assessment_queries.update_step_grades(
            conn, principal.course_id, assignment_id, steps.shares(updated)
        )
    return assignment_read(updated, principal)


async def change_phase(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, phase: str
) -> s.AssignmentRead:
    """Phases only move forward; each move queues its side effect in the same transaction."""
    require_instructor(principal)
    assignment = await load_assignment(conn, principal, assignment_id, for_update=True)
    current, target = s.PHASES.index(assignment.phase), s.PHASES.index(phase)
    if target == current:
        return assignment_read(assignment, principal)
    if target < current:
        raise Conflict(
            f"the assignment is already in phase {assignment.phase}; phases only advance"
        )
    course_id = principal.course_id
    values: dict[str, Any] = {"phase": phase}
    if phase == "released":
        if not rules.can_release(assignment):
            raise Conflict("grade the assignment before releasing it")
        values["released_at"] = now()
        await grade_queries.release_grades(conn, course_id, assignment_id)
        await enqueue(conn, "peerreview_passback", course_id, assignment_id, course_id=course_id)
    elif phase == "grading":
        await enqueue(conn, "peerreview_grade", course_id, assignment_id, course_id=course_id)
    elif phase == "review" and assignment.allocation_mode == "batch" and assignment.peer_review:
        # Refuse now rather than let the job fail: batch needs k+1 submissions at least.
        k = assignment.reviews_per_submission
        count = await submission_queries.count_submissions(conn, course_id, assignment_id)
        if count < k + 1:
            raise Conflict(
                f"batch allocation needs at least {k + 1} submissions for {k} reviews each; "
                f"there are {count}"
            )
        await enqueue(conn, "peerreview_allocate", course_id, assignment_id, course_id=course_id)
    updated = await queries.update_assignment(conn, course_id, assignment_id, values)
    return assignment_read(updated, principal)


async def set_teams(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.Teams
) -> dict[str, int]:
    require_instructor(principal)
    assignment = await load_assignment(conn, principal, assignment_id, for_update=True)
    if rules.teams_fixed(assignment):
        raise Conflict("teams are fixed once reviews are allocated")
    users: list[int] = []
    teams: list[str] = []
    for team, members in data.teams.items():
        for user_id in members:
            users.append(user_id)
            teams.append(clean_text(team) or team)
    if len(set(users)) != len(users):
        raise Unprocessable("a learner can be in one team only")
    learners = set(await queries.select_learners(conn, principal.course_id))
    strangers = sorted(set(users) - learners)
    if strangers:
        raise Unprocessable(f"not learners of this course: {strangers[:10]}")
    await queries.replace_teams(conn, principal.course_id, assignment_id, users=users, teams=teams)
    return {"teams": len(data.teams), "members": len(users)}
