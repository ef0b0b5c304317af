"""Regrade requests: the author asks the staff to look again at a released grade; staff read the
open requests, and an override of the grade resolves them (peerreview.service.grades)."""

from __future__ import annotations

import asyncpg
import msgspec

from agora.errors import Conflict, Forbidden
from agora.markup import clean_text
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import rules
from peerreview import schemas as s
from peerreview.queries import regrades as queries
from peerreview.service.common import list_limit, load_assignment, require_staff
from peerreview.service.grades import grade_access


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
