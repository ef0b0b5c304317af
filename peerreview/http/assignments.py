"""Assignment routes: create, list, read, edit, move the phase forward, set teams."""

from __future__ import annotations

from typing import Any

from litestar import get, patch, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import Cursor, Limit, PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import assignments as assignments_service


@post(f"{API}/courses/{{course_id:int}}/assignments", tags=TAGS)
async def create_assignment(
    course_id: PathId, data: JSONBody[s.AssignmentCreate], db: Db, principal: CurrentPrincipal
) -> s.AssignmentRead:
    return await assignments_service.create_assignment(db, principal, course_id, data)


@get(f"{API}/courses/{{course_id:int}}/assignments", tags=TAGS)
async def list_assignments(
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = None,
) -> s.AssignmentList:
    return await assignments_service.list_assignments(db, principal, course_id, cursor, limit)


@get(f"{API}/assignments/{{assignment_id:int}}", tags=TAGS)
async def get_assignment(
    assignment_id: PathId, db: Db, principal: CurrentPrincipal
) -> s.AssignmentRead:
    return await assignments_service.get_assignment(db, principal, assignment_id)


@patch(f"{API}/assignments/{{assignment_id:int}}", tags=TAGS)
async def update_assignment(
    assignment_id: PathId,
    data: JSONBody[s.AssignmentUpdate],
    db: Db,
    principal: CurrentPrincipal,
) -> s.AssignmentRead:
    return await assignments_service.update_assignment(db, principal, assignment_id, data)


@post(f"{API}/assignments/{{assignment_id:int}}/phase", tags=TAGS, status_code=200)
async def change_phase(
    assignment_id: PathId, data: JSONBody[s.PhaseChange], db: Db, principal: CurrentPrincipal
) -> s.AssignmentRead:
    return await assignments_service.change_phase(db, principal, assignment_id, data.phase)


@put(f"{API}/assignments/{{assignment_id:int}}/teams", tags=TAGS)
async def set_teams(
    assignment_id: PathId, data: JSONBody[s.Teams], db: Db, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await assignments_service.set_teams(db, principal, assignment_id, data)


ROUTES: list[HTTPRouteHandler] = [
    create_assignment,
    list_assignments,
    get_assignment,
    update_assignment,
    change_phase,
    set_teams,
]
