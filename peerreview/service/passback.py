"""Grade passback: released final scores go to the LMS through the LTI context's AGS contract
(agora.lti.ags), recorded set-based and sent in batches; staff read the status per learner."""

from __future__ import annotations

import asyncpg

from agora.lti.ags import request_score_passbacks
from agora.names import like_prefix
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import schemas as s
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import passback as queries
from peerreview.service.common import list_limit, load_assignment, require_staff


def resource_id(assignment_id: int) -> str:
    """The LTI line item this assignment's scores go to."""
    return f"assignment-{assignment_id}"


async def passback(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    """Request every released final score of the assignment from the LMS; returns how many
    learners have one. Set-based whatever the size of the course: one read of the scores, one
    statement that records them and enqueues one AGS job per batch (agora.lti.ags).

    The request is idempotent (a score is sent again only when it changed), so a retry of this
    job, or a rerun after a later override, sends only what changed."""
    assignment = await assignment_queries.select_assignment(conn, course_id, assignment_id)
    if assignment is None or assignment.phase != "released":
        return 0
    scores = await queries.select_release_scores(conn, course_id, assignment_id)
    await request_score_passbacks(
        conn,
        course_id=course_id,
        resource_id=resource_id(assignment_id),
        label=assignment.title,
        score_maximum=assignment.points_possible,
        users=list(scores["users"]),
        scores=list(scores["scores"]),
        # the grade's own time: a rerun sends the same score with the same timestamp, and a
        # later override always carries a newer one
        timestamps=list(scores["times"]),
    )
    return len(scores["users"])


async def passback_status(
    conn: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    cursor: str | None = None,
    limit: int | None = None,
    q: str | None = None,
) -> s.PassbackStatus:
    """What was sent to the LMS, learner by learner (by user id, a page at a time; `q` the
    start of a learner's name or email)."""
    require_staff(principal)
    await load_assignment(conn, principal, assignment_id)
    limit = list_limit(limit)
    after = decode_cursor(cursor, (int,))
    rows = await queries.select_passback_page(
        conn, principal.course_id, resource_id(assignment_id),
        after_user=after[0] if after else 0, limit=limit + 1, name=like_prefix(q or ""),
    )  # fmt: skip
    page, next_cursor = next_page(rows, limit, lambda r: (r["user_id"],))
    items = [
        s.PassbackRow(
            user_id=r["user_id"],
            status=str(r["status"]),
            score_given=r["score_given"],
            attempts=int(r["attempts"] or 0),
            detail=str(r["last_error"] or ""),
            name=r["name"],
            email=r["email"],
        )
        for r in page
    ]
    return s.PassbackStatus(
        resource_id=resource_id(assignment_id), items=items, next_cursor=next_cursor
    )
