"""Regrade routes: an author asks for a regrade once grades are released; staff list the
requests and answer each once (accept with a new score, or reject with a reason)."""

from __future__ import annotations

from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import Cursor, Limit, PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import regrades as regrades_service


@post(f"{API}/grades/{{submission_id:int}}/regrade", tags=TAGS)
async def request_regrade(
    submission_id: PathId,
    data: JSONBody[s.RegradeCreate],
    db: Db,
    principal: CurrentPrincipal,
) -> s.RegradeRead:
    return await regrades_service.request_regrade(db, principal, submission_id, data)


@get(f"{API}/assignments/{{assignment_id:int}}/regrade-requests", tags=TAGS)
async def list_regrades(
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = None,
) -> s.RegradeList:
    return await regrades_service.list_regrades(db, principal, assignment_id, cursor, limit)


@post(f"{API}/regrade-requests/{{regrade_id:int}}/answer", tags=TAGS, status_code=200)
async def answer_regrade(
    regrade_id: PathId,
    data: JSONBody[s.RegradeAnswer],
    db: Db,
    principal: CurrentPrincipal,
) -> s.RegradeRead:
    return await regrades_service.answer_regrade(db, principal, regrade_id, data)


ROUTES: list[HTTPRouteHandler] = [request_regrade, list_regrades, answer_regrade]
