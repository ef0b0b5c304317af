"""Review quality (grading the graders, issue 13.4): a grading run scores every reviewer set-based
(peerreview.review_quality on the arrays the run already holds, one store), and a reviewer reads
their score, its parts and the ratings their reviews received once grades are released."""

from __future__ import annotations

import asyncpg
import msgspec
import numpy as np
import numpy.typing as npt

from agora.errors import NotFound
from agora.names import like_prefix
from agora.outbox import enqueue
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import rules, steps
from peerreview import schemas as s
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import calibration as calibration_queries
from peerreview.queries import review_quality as queries
from peerreview.queries import self_assessments as self_assessment_queries
from peerreview.queries.assignments import Assignment
from peerreview.review_quality import TOLERANCE, review_quality
from peerreview.service.common import list_limit, load_assignment, require_staff, rubric_points

# Reviews listed with their ratings: far more than any reviewer writes for one assignment.
FEEDBACK_LIMIT = 200


def _optional(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values.tolist()]


async def score_reviewers(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    lo: float,
    hi: float,
    reviewer: npt.ArrayLike,
    review_total: npt.ArrayLike,
    review_grade: npt.ArrayLike,
    calibration_user: npt.ArrayLike,
    calibration_total: npt.ArrayLike,
    calibration_truth: npt.ArrayLike,
) -> int:
    """Score every reviewer of the assignment and give each grade its owner's score; returns how
    many reviewers were scored. The arrays are the grading run's: one entry per peer review
    (reviewer user id, total, fitted grade of the reviewed submission) and per calibration
    answer (user id, total, reference total)."""
    ratings = await queries.select_ratings(conn, course_id, assignment_id)
    r_user = np.asarray(reviewer, dtype=np.int64)
    c_user = np.asarray(calibration_user, dtype=np.int64)
    h_user = np.asarray(ratings["reviewer"], dtype=np.int64)
    ids = np.unique(np.concatenate([r_user, c_user, h_user]))
    if hi <= lo or ids.size == 0:
        users: list[int] = []
        result = None
    else:
        result = review_quality(
            ids.size, lo=lo, hi=hi,
            review_reviewer=np.searchsorted(ids, r_user), review_score=review_total,
            review_grade=review_grade,
            calibration_reviewer=np.searchsorted(ids, c_user),
            calibration_score=calibration_total, calibration_truth=calibration_truth,
            rated_reviewer=np.searchsorted(ids, h_user), rating=ratings["rating"],
        )  # fmt: skip
        users = ids[np.isfinite(result.score)].tolist()
    if result is None or not users:
        empty: list[float | None] = []
        await queries.replace_review_quality(
            conn, course_id, assignment_id, users=[], score=[], agreement=empty, n_reviews=[],
            mean_deviation=empty, calibration=empty, n_calibration=[],
            calibration_deviation=empty, helpfulness=empty, n_rated=[], mean_rating=empty,
        )  # fmt: skip
    else:
        keep = np.isfinite(result.score)
        a, c, h = result.agreement, result.calibration, result.helpfulness
        await queries.replace_review_quality(
            conn, course_id, assignment_id, users=users,
            score=np.clip(result.score[keep], 0.0, 100.0).tolist(),
            agreement=_optional(a.value[keep]), n_reviews=a.count[keep].tolist(),
            mean_deviation=_optional(a.raw[keep]),
            calibration=_optional(c.value[keep]), n_calibration=c.count[keep].tolist(),
            calibration_deviation=_optional(c.raw[keep]),
            helpfulness=_optional(h.value[keep]), n_rated=h.count[keep].tolist(),
            mean_rating=_optional(h.raw[keep]),
        )  # fmt: skip
    await queries.update_grades_review_quality(conn, course_id, assignment_id)
    return len(users)


def contribution(score: float | None, assignment: Assignment) -> float | None:
    """What the score adds to the grade: its share × score / 100 × points possible."""
    weight = review_quality_weight(assignment)
    if score is None or weight <= 0:
        return None
    return weight / 100.0 * score / 100.0 * assignment.points_possible


def review_quality_weight(assignment: Assignment) -> float:
    """The instructor-set share of the grade, in percent (0 until the assignment has one)."""
    return float(assignment.review_quality_weight)


async def get_review_quality(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, user_id: int | None = None
) -> s.ReviewQualityRead:
    """A reviewer's own score, its parts and the ratings they received, once grades are
    released; staff read any learner's (`user_id`) at any time. 404 before that, and for a
    learner asking about someone else."""
    assignment = await load_assignment(conn, principal, assignment_id)
    who = principal.user_id if user_id is None else user_id
    if not rules.can_see_review_quality(principal, assignment, who):
        raise NotFound("no review quality score yet")
    course_id = principal.course_id
    row = await queries.select_review_quality(conn, course_id, assignment_id, who)
    feedback = await queries.select_feedback_received(
        conn, course_id, assignment_id, who, limit=FEEDBACK_LIMIT
    )
    if row is None and not feedback:
        raise NotFound("no review quality score: no review and no calibration answer")
    lows, highs = _range(assignment)
    return s.ReviewQualityRead(
        assignment_id=assignment_id,
        user_id=who,
        score=row.score if row else None,
        weight=review_quality_weight(assignment),
        points=contribution(row.score if row else None, assignment),
        agreement=row.agreement if row else None,
        n_reviews=row.n_reviews if row else 0,
        mean_deviation=row.mean_deviation if row else None,
        calibration=row.calibration if row else None,
        n_calibration=row.n_calibration if row else 0,
        calibration_deviation=row.calibration_deviation if row else None,
        helpfulness=row.helpfulness if row else None,
        n_rated=row.n_rated if row else 0,
        mean_rating=row.mean_rating if row else None,
        tolerance_points=TOLERANCE * (highs - lows),
        feedback=[
            s.ReviewFeedbackRead(
                review_id=f["id"],
                total=f["total"],
                helpfulness=f["helpfulness"],
                flagged=f["flagged"],
                created_at=f["created_at"],
            )
            for f in feedback
        ],
    )


async def my_review_quality(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.ReviewQualityRead | None:
    """The viewer's own review quality for the grade page, or None (not yet, or nothing)."""
    try:
        return await get_review_quality(conn, principal, assignment_id)
    except NotFound:
        return None


async def list_review_quality(
    conn: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    cursor: str | None = None,
    limit: int | None = None,
    q: str | None = None,
) -> s.ReviewerQualityPage:
    """Staff: every scored reviewer of the assignment, worst first, a page at a time (`q` the
    start of a learner's name or email). Learners: 403."""
    require_staff(principal)
    assignment = await load_assignment(conn, principal, assignment_id)
    limit = list_limit(limit)
    after = decode_cursor(cursor, (float, int))
    rows = await queries.select_review_quality_page(
        conn, principal.course_id, assignment_id,
        after=(after[0], after[1]) if after else None, limit=limit + 1, name=like_prefix(q or ""),
    )  # fmt: skip
    page, next_cursor = next_page(rows, limit, lambda r: (r["score"], r["user_id"]))
    lows, highs = _range(assignment)
    return s.ReviewerQualityPage(
        weight=review_quality_weight(assignment),
        tolerance_points=TOLERANCE * (highs - lows),
        items=[msgspec.convert(dict(r), s.ReviewerQualityRow) for r in page],
        next_cursor=next_cursor,
    )


def _range(assignment: Assignment) -> tuple[float, float]:
    lows, highs = rubric_points(assignment.rubric)
    return float(sum(lows)), float(sum(highs))


async def request_rescore(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> None:
    """A helpfulness rating or a flag changed what the scores rest on: rescore after commit.
    Ratings come once reviews are shown, after the release, when no grading run follows."""
    await enqueue(conn, "peerreview_review_quality", course_id, assignment_id, course_id=course_id)


async def rescore(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, outbox_id: int | None = None
) -> int | None:
    """Score every reviewer again from the stored grades (no refit) with the ratings given so
    far; grades blend the new scores in, and a released assignment's changed grades go to the
    LMS. None: skipped, because a later request (`outbox_id` older than it) will do it, so a
    burst of ratings costs one rescoring."""
    assignment = await assignment_queries.select_assignment(
        conn, course_id, assignment_id, for_update=True
    )
    if assignment is None or assignment.graded_at is None:
        return None
    if outbox_id is not None and await queries.later_rescore_pending(
        conn, course_id, assignment_id, outbox_id
    ):
        return None
    lows, highs = _range(assignment)
    reviews = await queries.select_review_agreement(conn, course_id, assignment_id)
    answers = await calibration_queries.select_all_answers(conn, course_id, assignment_id)
    scored = await score_reviewers(
        conn, course_id, assignment_id, lo=lows, hi=highs,
        reviewer=reviews["reviewer"], review_total=reviews["total"],
        review_grade=np.array(reviews["grade"], dtype=np.float64),
        calibration_user=answers["grader"], calibration_total=answers["total"],
        calibration_truth=answers["truth"],
    )  # fmt: skip
    if review_quality_weight(assignment) > 0:
        await self_assessment_queries.update_step_grades(
            conn, course_id, assignment_id, steps.shares(assignment)
        )
        if assignment.phase == "released":
            await enqueue(
                conn, "peerreview_passback", course_id, assignment_id, course_id=course_id
            )
    return scored
