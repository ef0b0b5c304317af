"""Grades: a grading run (one load, vectorised model fits, one set-based store), the grade lists
(all, and the staff's doubtful queue), one grade, and staff overrides, which always win."""

from __future__ import annotations

import asyncpg
import numpy as np

from agora.errors import Conflict, NotFound, Unprocessable
from agora.markup import clean_text
from agora.names import like_prefix
from agora.outbox import enqueue
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import rules, steps
from peerreview import schemas as s
from peerreview.grading import Calibration, Grades, Reviews, grade, reconcile_parts, round_parts
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import calibration as calibration_queries
from peerreview.queries import grades as queries
from peerreview.queries import regrades as regrade_queries
from peerreview.queries import reviews as review_queries
from peerreview.queries import self_assessments as self_assessment_queries
from peerreview.queries import submissions as submission_queries
from peerreview.queries.assignments import Assignment
from peerreview.queries.grades import Grade, GradingResult
from peerreview.rules import SubmissionAccess
from peerreview.service import review_quality as review_quality_service
from peerreview.service.common import (
    list_limit,
    load_assignment,
    my_owner_key,
    now,
    require_instructor,
    require_staff,
    rubric_points,
)
from peerreview.service.submissions import submission_access


async def run_grading(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> s.GradingRun:
    """Grade every submission of the assignment: one load, vectorised fits, one store."""
    assignment = await assignment_queries.select_assignment(
        conn, course_id, assignment_id, for_update=True
    )
    if assignment is None:
        raise NotFound("no such assignment")
    method = assignment.grading_method
    if not assignment.peer_review:
        return await _grade_without_peers(conn, assignment)
    lows, highs = rubric_points(assignment.rubric)
    n_criteria = len(lows)
    matrix = await review_queries.select_review_matrix(conn, course_id, assignment_id)
    sub_ids_all = np.array(matrix["submission"], dtype=np.int64)
    if sub_ids_all.size == 0:
        await assignment_queries.update_assignment(
            conn, course_id, assignment_id, {"graded_at": now()}
        )
        return s.GradingRun(assignment_id=assignment_id, method=method, graded=0, doubtful=0)
    staff = np.array(matrix["by_staff"], dtype=bool)
    totals = np.array(matrix["total"], dtype=np.float64)
    scores = np.array(matrix["scores"], dtype=np.float64).reshape(-1, n_criteria)
    reviewer_all = np.array(matrix["reviewer"], dtype=np.int64)
    sub_ids, sub_index = np.unique(sub_ids_all, return_inverse=True)

    answers = await calibration_queries.select_all_answers(conn, course_id, assignment_id)
    c_users = np.array(answers["grader"], dtype=np.int64)
    peer = ~staff
    grader_ids, grader_index = np.unique(
        np.concatenate([reviewer_all[peer], c_users]), return_inverse=True
    )
    g_reviews = grader_index[: int(peer.sum())]
    g_calibration = grader_index[int(peer.sum()) :]
    c_total = np.array(answers["total"], dtype=np.float64)
    c_truth = np.array(answers["truth"], dtype=np.float64)
    c_scores = np.array(answers["scores"], dtype=np.float64).reshape(-1, n_criteria)
    c_truth_scores = np.array(answers["truth_scores"], dtype=np.float64).reshape(-1, n_criteria)

    def anchors_of(values: np.ndarray) -> dict[int, float]:
        # the latest staff score of each submission wins (rows are in id order)
        return {int(i): float(v) for i, v in zip(sub_index[staff], values[staff], strict=True)}

    def fit(
        values: np.ndarray, lo: float, hi: float, c_given: np.ndarray, c_ref: np.ndarray
    ) -> Grades:
        reviews = Reviews.of(
            sub_index[peer], g_reviews, values[peer], sub_ids.size, grader_ids.size
        )
        calibration = Calibration.of(g_calibration, c_given, c_ref)
        return grade(
            reviews, method, lo=lo, hi=hi, anchors=anchors_of(values), calibration=calibration
        )

    total_fit = fit(totals, sum(lows), sum(highs), c_total, c_truth)
    criterion_fits = [
        fit(scores[:, c], lows[c], highs[c], c_scores[:, c], c_truth_scores[:, c])
        if highs[c] > lows[c]
        else _constant(lows[c], sub_ids.size)  # comment-only (or one score): nothing to fit
        for c in range(n_criteria)
    ]
    # Fitted one by one, the criteria would not add up to the total the learner reads.
    criteria = reconcile_parts(
        total_fit.grade,
        np.column_stack([f.grade for f in criterion_fits]),
        np.column_stack([f.confidence**2 for f in criterion_fits]),
        np.array(lows, dtype=np.float64),
        np.array(highs, dtype=np.float64),
    )
    keep = np.isfinite(total_fit.grade)
    result = GradingResult(
        method=method,
        submission=sub_ids[keep].tolist(),
        estimate=total_fit.grade[keep].tolist(),
        # one PostgreSQL array literal per grade: parsed by a cast, no per-row slicing
        criteria=[
            "{" + ",".join(map(repr, row)) + "}" for row in np.nan_to_num(criteria[keep]).tolist()
        ],
        confidence=total_fit.confidence[keep].tolist(),
        n_reviews=total_fit.n_reviews[keep].tolist(),
        spread=total_fit.spread[keep].tolist(),
        doubt=np.minimum(total_fit.doubt[keep], 1e9).tolist(),
        doubtful=total_fit.doubtful[keep].tolist(),
    )
    await queries.upsert_grades(conn, course_id, assignment_id, result)
    # Grading the graders: every reviewer's review quality, against these fitted grades.
    await review_quality_service.score_reviewers(
        conn, course_id, assignment_id, lo=sum(lows), hi=sum(highs),
        reviewer=reviewer_all[peer], review_total=totals[peer],
        review_grade=total_fit.grade[sub_index[peer]], calibration_user=c_users,
        calibration_total=c_total, calibration_truth=c_truth,
    )  # fmt: skip
    share = steps.shares(assignment)
    # estimate = the peer estimate otherwise, as stored
    if not share.peer_only or assignment.review_quality_weight > 0:
        await self_assessment_queries.update_step_grades(conn, course_id, assignment_id, share)
    if method == "calibrated" and grader_ids.size:
        await queries.upsert_grader_stats(
            conn,
            course_id,
            assignment_id,
            users=grader_ids.tolist(),
            bias=total_fit.bias.tolist(),
            reliability=[None if not np.isfinite(r) else float(r) for r in total_fit.reliability],
            suspect=total_fit.suspect.tolist(),
        )
    await assignment_queries.update_assignment(conn, course_id, assignment_id, {"graded_at": now()})
    return s.GradingRun(
        assignment_id=assignment_id,
        method=method,
        graded=int(keep.sum()),
        doubtful=int(total_fit.doubtful[keep].sum()),
    )


def _constant(value: float, n: int) -> Grades:
    """A criterion whose score cannot vary: known exactly."""
    return Grades(
        grade=np.full(n, value), confidence=np.zeros(n), n_reviews=np.zeros(n, dtype=np.int64),
        spread=np.zeros(n), suspect_share=np.zeros(n), doubt=np.zeros(n),
        doubtful=np.zeros(n, dtype=bool), bias=np.zeros(0), reliability=np.zeros(0),
        suspect=np.zeros(0, dtype=bool),
    )  # fmt: skip


async def _grade_without_peers(conn: asyncpg.Connection, assignment: Assignment) -> s.GradingRun:
    """No peer-review step: every submission's grade is its steps' grade (the self-assessment,
    0 without one), unless staff override it."""
    course_id = assignment.course_id
    graded = await self_assessment_queries.insert_self_only_grades(conn, course_id, assignment.id)
    await self_assessment_queries.update_step_grades(
        conn, course_id, assignment.id, steps.shares(assignment)
    )
    await assignment_queries.update_assignment(conn, course_id, assignment.id, {"graded_at": now()})
    return s.GradingRun(assignment_id=assignment.id, method="self", graded=graded, doubtful=0)


async def request_grading(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> dict[str, bool]:
    require_instructor(principal)
    assignment = await load_assignment(conn, principal, assignment_id)
    if not rules.grading_phase(assignment):
        raise Conflict("grade during the review or grading phase")
    await enqueue(
        conn, "peerreview_grade", principal.course_id, assignment_id, course_id=principal.course_id
    )
    return {"queued": True}


def grade_read(
    row: Grade, assignment: Assignment, access: SubmissionAccess | None = None
) -> s.GradeRead:
    overridden = row.override_score is not None
    return s.GradeRead(
        id=row.submission_id,
        assignment_id=row.assignment_id,
        estimate=row.estimate,
        # the criteria split the peer estimate; an override replaces the whole grade, so they
        # would contradict it
        criteria=[] if overridden else list(row.criteria),
        confidence=row.confidence,
        method=row.method,
        n_reviews=row.n_reviews,
        spread=row.spread,
        doubt=row.doubt,
        doubtful=row.doubtful and not overridden,  # settled by staff: no longer in doubt
        override_score=row.override_score,
        override_reason=row.override_reason,
        final_score=row.final_score,
        points_possible=assignment.points_possible,
        released=row.released_at is not None,
        computed_at=row.computed_at,
        can_request_regrade=rules.can_request_regrade(access, assignment),
        author=author_of(row) if access == "staff" else None,
        peer_estimate=row.peer_estimate,
        self_score=row.self_score,
        late_penalty=0.0 if overridden else row.late_penalty,
    )


def criteria_shown(
    grade: s.GradeRead, rubric: list[s.CriterionRead] | None = None, decimals: int = 1
) -> list[float | None]:
    """The per-criterion peer scores as the grade page prints them: rounded like the peer
    estimate and adding up to it (none once staff overrode the grade); None for a comment-only
    criterion, which has no score."""
    if grade.peer_estimate is None or not grade.criteria:
        return []
    parts = list(grade.criteria)
    counted = [
        i for i in range(len(parts)) if not (rubric and i < len(rubric) and rubric[i].comment_only)
    ]
    rounded = round_parts(grade.peer_estimate, [parts[i] for i in counted], decimals)
    shown: list[float | None] = [None] * len(parts)
    for i, value in zip(counted, rounded, strict=True):
        shown[i] = value
    return shown


def author_of(row: Grade) -> s.Person | None:
    """The submitter, where the query read them (the staff lists)."""
    if row.author_id is None:
        return None
    return s.Person(id=row.author_id, name=row.author_name, email=row.author_email)


async def list_grades(
    conn: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    cursor: str | None = None,
    limit: int | None = None,
    *,
    doubtful: bool = False,
    q: str | None = None,
) -> s.GradeList:
    """Staff: every grade by submission id (with who submitted it, `q` the start of their name
    or email), or (`doubtful`) the queue of doubtful grades not yet overridden, most doubtful
    first. Learners: their own grade once released."""
    assignment = await load_assignment(conn, principal, assignment_id)
    if not rules.can_supervise(principal):
        key, _ = await my_owner_key(conn, principal, assignment)
        mine = await submission_queries.select_submission_of_owner(
            conn, principal.course_id, assignment_id, key
        )
        grade_row = mine and await queries.select_grade(conn, principal.course_id, mine["id"])
        items = []
        if grade_row and rules.can_see_grade("owner", released=grade_row.released_at is not None):
            items = [grade_read(grade_row, assignment, "owner")]
        return s.GradeList(items=items, next_cursor=None)
    limit = list_limit(limit)
    if doubtful:
        after_doubt = decode_cursor(cursor, (float, int))
        rows = await queries.select_doubtful(
            conn,
            principal.course_id,
            assignment_id,
            after=(after_doubt[0], after_doubt[1]) if after_doubt else None,
            limit=limit + 1,
        )
        page, next_cursor = next_page(rows, limit, lambda g: (g.doubt, g.submission_id))
    else:
        after = decode_cursor(cursor, (int,))
        rows = await queries.select_grades(
            conn,
            principal.course_id,
            assignment_id,
            after_id=after[0] if after else 0,
            limit=limit + 1,
            name=like_prefix(q or ""),
        )
        page, next_cursor = next_page(rows, limit, lambda g: (g.submission_id,))
    items = [grade_read(g, assignment, "staff") for g in page]
    return s.GradeList(items=items, next_cursor=next_cursor)


async def grade_access(
    conn: asyncpg.Connection, principal: Principal, submission_id: int
) -> tuple[asyncpg.Record, Assignment, SubmissionAccess]:
    """The submission, its assignment and the viewer's access; 404 for reviewers (a grade is
    its owner's and the staff's business)."""
    sub = await submission_queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such grade")
    assignment = await load_assignment(conn, principal, sub["assignment_id"])
    access = await submission_access(conn, principal, sub)
    if access == "reviewer":
        raise NotFound("no such grade")
    return sub, assignment, access


async def get_grade(
    conn: asyncpg.Connection, principal: Principal, submission_id: int
) -> s.GradeRead:
    _, assignment, access = await grade_access(conn, principal, submission_id)
    grade_row = await queries.select_grade(conn, principal.course_id, submission_id)
    if grade_row is None or not rules.can_see_grade(
        access, released=grade_row.released_at is not None
    ):
        raise NotFound("no grade yet")
    return grade_read(grade_row, assignment, access)


async def override_grade(
    conn: asyncpg.Connection, principal: Principal, submission_id: int, data: s.Override
) -> s.GradeRead:
    """Staff set (or clear, with score None) the grade; an override always wins."""
    require_staff(principal)
    _, assignment, access = await grade_access(conn, principal, submission_id)
    if data.score is not None and data.score > assignment.points_possible:
        raise Unprocessable(f"the score cannot exceed {assignment.points_possible} points")
    reason = clean_text(data.reason)
    course_id = principal.course_id
    updated = await queries.set_override(
        conn, course_id, submission_id, score=data.score, reason=reason, by=principal.user_id
    )
    if updated is None:
        if data.score is None:
            raise NotFound("no grade to clear")
        updated = await queries.insert_override_grade(
            conn,
            course_id,
            assignment.id,
            submission_id,
            score=data.score,
            reason=reason,
            by=principal.user_id,
        )
    await regrade_queries.resolve_regrades(conn, course_id, submission_id, reason)
    if assignment.phase == "released":
        if updated.released_at is None:
            await queries.release_grades(conn, course_id, assignment.id)
        await enqueue(conn, "peerreview_passback", course_id, assignment.id, course_id=course_id)
        updated = await queries.select_grade(conn, course_id, submission_id) or updated
    return grade_read(updated, assignment, access)
