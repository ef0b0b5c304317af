"""Reviews: a learner completes an allocation with a review, edits it while reviewing is open;
staff score submissions directly (anchors for the grader model); authors read the reviews of
their work once grades are released, anonymously, and rate or flag them."""

from __future__ import annotations

import asyncpg

from agora import remote_images
from agora.errors import Conflict, Forbidden, Gone, NotFound
from agora.markup import clean_text
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import rules
from peerreview import schemas as s
from peerreview.grading import DOUBT_SPREAD_SHARE
from peerreview.queries import allocations as allocation_queries
from peerreview.queries import reviews as queries
from peerreview.queries import submissions as submission_queries
from peerreview.queries.reviews import ReviewContent
from peerreview.rules import ReviewAccess
from peerreview.service import review_quality as review_quality_service
from peerreview.service.common import (
    check_comments,
    list_limit,
    load_assignment,
    now,
    require_staff,
    rubric_points,
    score_choices,
)
from peerreview.service.submissions import submission_access


def review_read(
    row: asyncpg.Record, viewer: Principal, access: ReviewAccess | None = None
) -> s.ReviewRead:
    """The review as this viewer may see it: its reviewer hidden from the reviewed."""
    show_reviewer = rules.can_see_reviewer_identity(viewer, row["reviewer_id"])
    return s.ReviewRead(
        id=row["id"],
        assignment_id=row["assignment_id"],
        submission_id=row["submission_id"],
        reviewer_id=row["reviewer_id"] if show_reviewer else None,
        by_staff=row["by_staff"],
        choices=list(row["choices"]),
        scores=list(row["scores"]),
        total=row["total"],
        criterion_comments=list(row["criterion_comments"]),
        comment_html=row["comment_html"],
        helpfulness=row["helpfulness"],
        flagged=row["flagged"],
        created_at=row["created_at"],
        can_rate=rules.can_rate_review(access),
        reviewer=reviewer_of(row) if show_reviewer else None,
    )


def reviewer_of(row: asyncpg.Record) -> s.Person | None:
    """Who wrote the review, where the query read their name (reviews of a submission)."""
    if "reviewer_name" not in row.keys():
        return None
    return s.Person(id=row["reviewer_id"], name=row["reviewer_name"], email=row["reviewer_email"])


async def _content(
    conn: asyncpg.Connection,
    choices: list[int],
    scores: list[float],
    total: float,
    comments: list[str],
    comment: str,
) -> ReviewContent:
    return ReviewContent(
        choices=choices,
        scores=scores,
        total=total,
        criterion_comments=comments,
        comment=comment,
        comment_html=await remote_images.rendered(conn, comment) if comment else "",
    )


async def create_review(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.ReviewCreate
) -> s.ReviewRead:
    """Complete the reviewer's live allocation with their review."""
    assignment = await load_assignment(conn, principal, assignment_id)
    course_id = principal.course_id
    if not rules.reviewing_open(assignment, now()):
        raise Conflict("reviewing is not open")
    scores, total = score_choices(assignment.rubric, data.choices)
    comments = await check_comments(assignment.rubric, data.criterion_comments, required=True)
    allocation = await allocation_queries.complete_allocation(
        conn, course_id, assignment_id, data.allocation_id, reviewer_id=principal.user_id
    )
    if allocation is None:  # find out why, on this rare path only
        found = await allocation_queries.select_allocation(conn, course_id, data.allocation_id)
        if (
            found is None
            or found["reviewer_id"] != principal.user_id
            or found["assignment_id"] != assignment_id
        ):
            raise NotFound("no such allocation of yours")
        if found["state"] == "completed":
            raise Conflict("this review is already submitted; edit it instead")
        raise Gone("this lease expired and went back to the pool; ask for the next submission")
    review = await queries.insert_review(
        conn,
        course_id,
        assignment_id,
        submission_id=allocation["submission_id"],
        reviewer_id=principal.user_id,
        allocation_id=allocation["id"],
        by_staff=False,
        content=await _content(conn, data.choices, scores, total, comments, data.comment),
    )
    low, high = rubric_points(assignment.rubric)
    await queries.mark_reviewed(
        conn,
        course_id,
        assignment_id,
        allocation["submission_id"],
        k=assignment.reviews_per_submission,
        max_spread=DOUBT_SPREAD_SHARE * (sum(high) - sum(low)),
    )
    return review_read(review, principal, "reviewer")


async def staff_score(
    conn: asyncpg.Connection, principal: Principal, submission_id: int, data: s.StaffScore
) -> s.ReviewRead:
    """An instructor's or TA's own scoring: an anchor (fixed true score) for the grader model."""
    require_staff(principal)
    sub = await submission_queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such submission")
    assignment = await load_assignment(conn, principal, sub["assignment_id"])
    scores, total = score_choices(assignment.rubric, data.choices)
    review = await queries.insert_review(
        conn,
        principal.course_id,
        assignment.id,
        submission_id=submission_id,
        reviewer_id=principal.user_id,
        allocation_id=None,
        by_staff=True,
        content=await _content(
            conn, data.choices, scores, total, [""] * len(assignment.rubric), data.comment
        ),
    )
    return review_read(review, principal, "staff")


async def _review_access(
    conn: asyncpg.Connection, principal: Principal, review: asyncpg.Record
) -> ReviewAccess:
    sub = await submission_queries.select_submission(
        conn, principal.course_id, review["submission_id"]
    )
    if sub is None:  # cannot happen: a review's submission outlives it
        raise NotFound("no such review")
    assignment = await load_assignment(conn, principal, review["assignment_id"])
    access = rules.review_access(
        principal, reviewer_id=review["reviewer_id"], phase=assignment.phase, submission_access=None
    )
    if access is None and assignment.phase == "released":
        access = rules.review_access(
            principal,
            reviewer_id=review["reviewer_id"],
            phase=assignment.phase,
            submission_access=await submission_access(conn, principal, sub),
        )
    if access is None:
        raise NotFound("no such review")
    return access


async def get_review(
    conn: asyncpg.Connection, principal: Principal, review_id: int
) -> s.ReviewRead:
    review = await queries.select_review(conn, principal.course_id, review_id)
    if review is None:
        raise NotFound("no such review")
    return review_read(review, principal, await _review_access(conn, principal, review))


async def update_review(
    conn: asyncpg.Connection, principal: Principal, review_id: int, data: s.ReviewUpdate
) -> s.ReviewRead:
    """The reviewer edits their review while reviewing is open."""
    review = await queries.select_review(conn, principal.course_id, review_id)
    if review is None or not rules.can_edit_review(principal, review["reviewer_id"]):
        raise NotFound("no such review of yours")
    assignment = await load_assignment(conn, principal, review["assignment_id"])
    if not rules.reviewing_open(assignment, now()):
        raise Conflict("reviews can be edited only while reviewing is open")
    choices = data.choices if data.choices is not None else list(review["choices"])
    scores, total = score_choices(assignment.rubric, choices)
    comments = (
        await check_comments(assignment.rubric, data.criterion_comments, required=True)
        if data.criterion_comments is not None
        else list(review["criterion_comments"])
    )
    comment = data.comment if data.comment is not None else review["comment"]
    updated = await queries.update_review(
        conn,
        principal.course_id,
        review_id,
        await _content(conn, choices, scores, total, comments, comment),
    )
    if updated is None:
        raise NotFound("no such review of yours")
    return review_read(updated, principal, "reviewer")


async def review_feedback(
    conn: asyncpg.Connection,
    principal: Principal,
    review_id: int,
    *,
    helpfulness: int | None = None,
    flag_reason: str | None = None,
) -> s.ReviewRead:
    """The author rates a review's helpfulness or flags it as abusive (left out of grading)."""
    review = await queries.select_review(conn, principal.course_id, review_id)
    if review is None:
        raise NotFound("no such review")
    access = await _review_access(conn, principal, review)
    if not rules.can_rate_review(access):
        raise Forbidden("only the author of the reviewed work rates or flags its reviews")
    updated = await queries.set_review_feedback(
        conn,
        principal.course_id,
        review_id,
        helpfulness=helpfulness,
        flag_reason=clean_text(flag_reason) if flag_reason is not None else None,
    )
    if updated is None:
        raise NotFound("no such review")
    # what the reviewer's review-quality score rests on changed
    await review_quality_service.request_rescore(conn, principal.course_id, review["assignment_id"])
    return review_read(updated, principal, access)


async def reviews_of_submission(
    conn: asyncpg.Connection,
    principal: Principal,
    submission_id: int,
    cursor: str | None = None,
    limit: int | None = None,
) -> s.ReviewList:
    """Staff: every review of the submission. Its owner: the same, once grades are released."""
    sub = await submission_queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such submission")
    assignment = await load_assignment(conn, principal, sub["assignment_id"])
    access = await submission_access(conn, principal, sub)
    if not rules.can_see_reviews_of(access, assignment):
        raise NotFound("reviews are visible to the author once grades are released")
    limit = list_limit(limit)
    after = decode_cursor(cursor, (int,))
    rows = await queries.select_reviews_of_submission(
        conn,
        principal.course_id,
        assignment.id,
        submission_id,
        after_id=after[0] if after else 0,
        limit=limit + 1,
    )
    page, next_cursor = next_page(rows, limit, lambda r: (r["id"],))
    # the owner reads these as the reviewed work's author
    review_access: ReviewAccess = "staff" if access == "staff" else "author"
    return s.ReviewList(
        items=[review_read(r, principal, review_access) for r in page], next_cursor=next_cursor
    )
