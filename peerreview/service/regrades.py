"""Regrade requests: the author asks the staff to look again at a released grade; staff read the
open requests and answer each once: accept with a new score (set through the grade override,
which also sends it to the LMS) or reject with a reason. The author reads the answer; a plain
override of the grade resolves any open request too (peerreview.service.grades)."""

from __future__ import annotations

import asyncpg
import msgspec

from agora.errors import Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_text
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import rules
from peerreview import schemas as s
from peerreview.queries import regrades as queries
from peerreview.service.common import list_limit, load_assignment, require_staff
from peerreview.service.grades import grade_access, override_grade


async def request_regrade(
    conn: asyncpg.Connection, principal: Principal, submission_id: int, data: s.RegradeCreate
) -> s.RegradeRead:
    _, assignment, access = await grade_access(conn, principal, submission_id)
    if access != "owner":
        raise Forbidden("only the author may ask for a regrade")
    if not rules.can_request_regrade(access, assignment):
        raise Conflict("grades are not released yet")
    saved = await queries.insert_regrade(
        conn,
        principal.course_id,
        assignment.id,
        submission_id,
        requester_id=principal.user_id,
        reason=clean_text(data.reason),
    )
    if saved is None:
        raise Conflict("a regrade request for this submission is already open")
    return msgspec.convert(dict(saved), s.RegradeRead)


async def list_regrades(
    conn: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    cursor: str | None = None,
    limit: int | None = None,
) -> s.RegradeList:
    """The open requests, oldest first, with who asked (staff)."""
    require_staff(principal)
    await load_assignment(conn, principal, assignment_id)
    limit = list_limit(limit)
    after = decode_cursor(cursor, (int,))
    rows = await queries.select_regrades(
        conn,
        principal.course_id,
        assignment_id,
        after_id=after[0] if after else 0,
        limit=limit + 1,
    )
    page, next_cursor = next_page(rows, limit, lambda r: (r["id"],))
    return s.RegradeList(items=[regrade_for_staff(r) for r in page], next_cursor=next_cursor)


def regrade_for_staff(r: asyncpg.Record) -> s.RegradeRead:
    read = msgspec.convert(dict(r), s.RegradeRead)
    requester = s.Person(id=r["requester_id"], name=r["requester_name"], email=r["requester_email"])
    return msgspec.structs.replace(read, requester=requester)


async def answer_regrade(
    conn: asyncpg.Connection, principal: Principal, regrade_id: int, data: s.RegradeAnswer
) -> s.RegradeRead:
    """Staff answer an open request of their course, once (409 after). Accepting sets the new
    score as the grade override (passback included); rejecting keeps the grade."""
    if not rules.can_answer_regrade(principal):
        raise Forbidden("only instructors and teaching assistants may answer a regrade request")
    row = await queries.lock_regrade(conn, principal.course_id, regrade_id)
    if row is None:
        raise NotFound("no such regrade request")
    if row["state"] != "open":
        raise Conflict("this regrade request was already answered")
    accept = data.decision == "accept"
    if accept and data.score is None:
        raise Unprocessable("give the new score to accept a regrade request")
    if not accept and data.score is not None:
        raise Unprocessable("a rejected request keeps the grade: send no score")
    answered = await queries.answer_regrade(
        conn,
        principal.course_id,
        regrade_id,
        state="accepted" if accept else "rejected",
        response=clean_text(data.reason),
        new_score=data.score,
        by=principal.user_id,
    )
    if answered is None:  # the row is locked above: only a concurrent answer gets here
        raise Conflict("this regrade request was already answered")
    if accept:
        # The one override path: checks the score against the points, releases and queues the
        # passback; the request's own transaction rolls back the answer if it refuses.
        await override_grade(
            conn, principal, row["submission_id"], s.Override(score=data.score, reason=data.reason)
        )
    return msgspec.convert(dict(answered), s.RegradeRead)


async def latest_regrade(
    conn: asyncpg.Connection, principal: Principal, submission_id: int
) -> s.RegradeRead | None:
    """The submission's latest request with the staff's answer, for its owner or staff."""
    await grade_access(conn, principal, submission_id)
    row = await queries.select_latest_regrade(conn, principal.course_id, submission_id)
    return None if row is None else msgspec.convert(dict(row), s.RegradeRead)
