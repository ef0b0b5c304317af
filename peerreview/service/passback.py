"""Grade passback: released final scores go to the LMS through the LTI context's AGS contract
(agora.lti.ags), one idempotent request per learner; staff read the status per learner."""

from __future__ import annotations

import asyncpg

from agora.lti.ags import request_score_passback
from agora.names import like_prefix
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import schemas as s
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import passback as queries
from peerreview.service.common import list_limit, load_assignment, require_staff

PASSBACK_PAGE = 1000


def resource_id(assignment_id: int) -> str:
    """The LTI line item this assignment's scores go to."""
    return f"assignment-{assignment_id}"


async def passback(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    """Send every released final score to the LMS through the LTI context's AGS job.

    `request_score_passback` is idempotent, so a retry of this job (or a later override) simply
    requests the same scores again."""
    assignment = await assignment_queries.select_assignment(conn, course_id, assignment_id)
    if assignment is None or assignment.phase != "released":
        return 0
    sent, after = 0, 0
    while True:
        rows = await queries.select_release_scores(
            conn, course_id, assignment_id, after_user=after, limit=PASSBACK_PAGE
        )
        for r in rows:
            await request_score_passback(
                conn,
                course_id=course_id,
                resource_id=resource_id(assignment_id),
                label=assignment.title,
                score_maximum=assignment.points_possible,
                user_id=r["user_id"],
                score_given=float(r["final_score"]),
                comment="",
                # the grade's own time: a rerun sends the same score with the same timestamp,
                # and a later override always carries a newer one
                timestamp=r["score_time"],
            )
        sent += len(rows)
        if len(rows) < PASSBACK_PAGE:
            return sent
        after = rows[-1]["user_id"]


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
