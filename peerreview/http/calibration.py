"""Calibration routes: the learner's calibration state and answers, staff's examples."""

from __future__ import annotations

from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import calibration as calibration_service


@get(f"{API}/assignments/{{assignment_id:int}}/calibration", tags=TAGS)
async def calibration_state(
    assignment_id: PathId, db: Db, principal: CurrentPrincipal
) -> s.CalibrationState:
    return await calibration_service.calibration_state(db, principal, assignment_id)


@post(f"{API}/assignments/{{assignment_id:int}}/calibration", tags=TAGS, status_code=200)
async def answer_calibration(
    assignment_id: PathId,
    data: JSONBody[s.CalibrationAnswer],
    db: Db,
    principal: CurrentPrincipal,
) -> s.CalibrationResult:
    return await calibration_service.answer_calibration(db, principal, assignment_id, data)


@post(f"{API}/assignments/{{assignment_id:int}}/calibration/examples", tags=TAGS)
async def add_example(
    assignment_id: PathId,
    data: JSONBody[s.ExampleCreate],
    db: Db,
    principal: CurrentPrincipal,
) -> s.ExampleRead:
    return await calibration_service.add_example(db, principal, assignment_id, data)


ROUTES: list[HTTPRouteHandler] = [calibration_state, answer_calibration, add_example]
