"""Self-assessment routes: the learner writes and reads their own (by assignment); staff and the
owner read a submission's (by submission)."""

from __future__ import annotations

from litestar import get, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.errors import NotFound
from agora.params import PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import self_assessments as service


@put(f"{API}/assignments/{{assignment_id:int}}/self-assessment", tags=TAGS)
async def self_assess(
    assignment_id: PathId,
    data: JSONBody[s.SelfAssessmentWrite],
    db: Db,
    principal: CurrentPrincipal,
) -> s.SelfAssessmentRead:
    """Write (or replace) one's self-assessment, once one's work is submitted."""
    return await service.self_assess(db, principal, assignment_id, data)


@get(f"{API}/assignments/{{assignment_id:int}}/self-assessment", tags=TAGS)
async def my_self_assessment(
    assignment_id: PathId, db: Db, principal: CurrentPrincipal
) -> s.SelfAssessmentRead:
    found = await service.my_self_assessment(db, principal, assignment_id)
    if found is None:
        raise NotFound("you have not assessed your work yet")
    return found


@get(f"{API}/submissions/{{submission_id:int}}/self-assessment", tags=TAGS)
async def self_assessment_of(
    submission_id: PathId, db: Db, principal: CurrentPrincipal
) -> s.SelfAssessmentRead:
    """Staff, and the submission's owner; 404 to anyone else."""
    return await service.self_assessment_of(db, principal, submission_id)


ROUTES: list[HTTPRouteHandler] = [self_assess, my_self_assessment, self_assessment_of]
