"""Self-assessment (issue 13.1): once their work is in, a learner scores it on the rubric, the way
their peers do, while self-assessment is open; a grade row already computed takes the new score
at once (peerreview.steps says how it counts). Its owner (the author or a teammate) and staff
read it; reviewers never do."""

from __future__ import annotations

import asyncpg

from agora import remote_images
from agora.errors import Conflict, Forbidden, NotFound
from agora.sessions import Principal
from peerreview import rules, steps
from peerreview import schemas as s
from peerreview.queries import self_assessments as queries
from peerreview.queries import submissions as submission_queries
from peerreview.queries.assignments import Assignment
from peerreview.service.common import (
    check_comments,
    load_assignment,
    my_owner_key,
    now,
    score_choices,
)
from peerreview.service.submissions import submission_access


def self_assessment_read(row: asyncpg.Record, *, can_edit: bool) -> s.SelfAssessmentRead:
    return s.SelfAssessmentRead(
        submission_id=row["submission_id"],
        assignment_id=row["assignment_id"],
        choices=list(row["choices"]),
        scores=list(row["scores"]),
        total=row["total"],
        criterion_comments=list(row["criterion_comments"]),
        comment=row["comment"],
        comment_html=row["comment_html"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        can_edit=can_edit,
    )


async def _my_submission(
    conn: asyncpg.Connection, principal: Principal, assignment: Assignment
) -> asyncpg.Record | None:
    key, _ = await my_owner_key(conn, principal, assignment)
    return await submission_queries.select_submission_of_owner(
        conn, principal.course_id, assignment.id, key
    )


async def my_self_assessment(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.SelfAssessmentRead | None:
    """The viewer's self-assessment of their (team's) submission, or None (404 for staff, who
    have no submission: they read one by submission)."""
    assignment = await load_assignment(conn, principal, assignment_id)
    if principal.is_staff:
        raise NotFound("staff have no self-assessment; read one by its submission")
    mine = await _my_submission(conn, principal, assignment)
    if mine is None:
        return None
    row = await queries.select_self_assessment(conn, principal.course_id, mine["id"])
    if row is None:
        return None
    return self_assessment_read(row, can_edit=rules.can_self_assess(principal, assignment, now()))


async def self_assessment_of(
    conn: asyncpg.Connection, principal: Principal, submission_id: int
) -> s.SelfAssessmentRead:
    """A submission's self-assessment: for staff and its owner; 404 to anyone else."""
    sub = await submission_queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such submission")
    assignment = await load_assignment(conn, principal, sub["assignment_id"])
    access = await submission_access(conn, principal, sub)
    if not rules.can_see_self_assessment(access):
        raise NotFound("no such self-assessment")
    row = await queries.select_self_assessment(conn, principal.course_id, submission_id)
    if row is None:
        raise NotFound("no self-assessment of this submission")
    editable = access == "owner" and rules.can_self_assess(principal, assignment, now())
    return self_assessment_read(row, can_edit=editable)


async def self_assess(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.SelfAssessmentWrite
) -> s.SelfAssessmentRead:
    """Write (or replace) the learner's self-assessment of their own submission."""
    assignment = await load_assignment(conn, principal, assignment_id)
    if principal.is_staff:
        raise Forbidden("staff do not self-assess; they score submissions directly")
    if not assignment.self_assessment:
        raise Conflict("this assignment has no self-assessment step")
    if not rules.can_self_assess(principal, assignment, now()):
        raise Conflict("self-assessment is closed for this assignment")
    mine = await _my_submission(conn, principal, assignment)
    if mine is None:
        raise Conflict("submit your work first, then assess it")
    scores, total = score_choices(assignment.rubric, data.choices)
    comments = await check_comments(assignment.rubric, data.criterion_comments, required=True)
    row = await queries.upsert_self_assessment(
        conn,
        principal.course_id,
        assignment_id,
        mine["id"],
        user_id=principal.user_id,
        choices=data.choices,
        scores=scores,
        total=total,
        criterion_comments=comments,
        comment=data.comment,
        comment_html=await remote_images.rendered(conn, data.comment) if data.comment else "",
    )
    # a grade computed before (a preview run while reviewing) takes the new self score now
    await queries.update_step_grades(
        conn, principal.course_id, assignment_id, steps.shares(assignment), mine["id"]
    )
    return self_assessment_read(row, can_edit=True)


async def of_own_submission(
    conn: asyncpg.Connection, principal: Principal, submission: s.SubmissionRead | None
) -> s.SelfAssessmentRead | None:
    """The self-assessment of a submission the pages already know is the viewer's own."""
    if submission is None:
        return None
    row = await queries.select_self_assessment(conn, principal.course_id, submission.id)
    return None if row is None else self_assessment_read(row, can_edit=False)
