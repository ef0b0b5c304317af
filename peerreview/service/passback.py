"""Grade passback: released final scores go to the LMS through the LTI context's AGS contract
(agora.lti.ags), one idempotent request per learner; staff read the status per learner."""

from __future__ import annotations

import asyncpg

from agora.lti.ags import request_score_passback, select_passback_status
from agora.sessions import Principal
from peerreview import schemas as s
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import passback as queries
from peerreview.service.common import load_assignment, require_staff

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
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.PassbackStatus:
    require_staff(principal)
    await load_assignment(conn, principal, assignment_id)
    rows = await select_passback_status(
        conn, course_id=principal.course_id, resource_id=resource_id(assignment_id)
    )
    items = [
        s.PassbackRow(
            user_id=r["user_id"],
            status=str(r["status"]),
            score_given=r.get("score_given"),
            attempts=int(r.get("attempts") or 0),
            detail=str(r.get("last_error") or ""),
        )
        for r in rows
    ]
    return s.PassbackStatus(resource_id=resource_id(assignment_id), items=items)
