"""Grade routes: grading runs, the grade list (and the doubtful queue), one grade, staff
overrides, and the staff's CSV export."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_202_ACCEPTED

from agora.deps import CurrentPrincipal, Db
from agora.names import NameSearch
from agora.params import Cursor, Limit, PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import grade_export
from peerreview.service import grades as grades_service


@post(
    f"{API}/assignments/{{assignment_id:int}}/grading-runs",
    tags=TAGS,
    status_code=HTTP_202_ACCEPTED,
)
async def request_grading(
    assignment_id: PathId, db: Db, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await grades_service.request_grading(db, principal, assignment_id)


@get(f"{API}/assignments/{{assignment_id:int}}/grades", tags=TAGS)
async def list_grades(
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    doubtful: FromQuery[bool] = False,
    cursor: Cursor = None,
    limit: Limit = None,
    q: NameSearch = None,
) -> s.GradeList:
    """Staff: every grade with who submitted it (`q`: whose name or email starts so), or the
    doubtful queue. Learners: their own released grade."""
    return await grades_service.list_grades(
        db, principal, assignment_id, cursor, limit, doubtful=doubtful, q=q
    )


@get(f"{API}/grades/{{submission_id:int}}", tags=TAGS)
async def get_grade(submission_id: PathId, db: Db, principal: CurrentPrincipal) -> s.GradeRead:
    return await grades_service.get_grade(db, principal, submission_id)


@patch(f"{API}/grades/{{submission_id:int}}", tags=TAGS)
async def override_grade(
    submission_id: PathId, data: JSONBody[s.Override], db: Db, principal: CurrentPrincipal
) -> s.GradeRead:
    return await grades_service.override_grade(db, principal, submission_id, data)


@get(f"{API}/assignments/{{assignment_id:int}}/grades.csv", tags=TAGS)
async def export_grades(
    request: Request[Any, Any, Any], assignment_id: PathId, db: Db, principal: CurrentPrincipal
) -> Stream:
    """Every learner's grade as CSV (staff), streamed in keyset batches."""
    await grade_export.check_export_allowed(db, principal, assignment_id)
    return Stream(
        grade_export.grades_csv(request.app.state.database, principal, assignment_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="grades-{assignment_id}.csv"'},
    )


ROUTES: list[HTTPRouteHandler] = [
    export_grades,
    request_grading,
    list_grades,
    get_grade,
    override_grade,
]
