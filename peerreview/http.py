"""HTTP routes of this context (collected by agora.app): thin handlers over peerreview.service."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from agora.deps import CurrentPrincipal, Db
from peerreview import schemas as s
from peerreview import service

API = "/api/v1"
TAGS = ["peer review"]
Limit = Annotated[int, QueryParameter(ge=1, le=service.MAX_PAGE)]
Cursor = Annotated[str | None, QueryParameter(max_length=500)]


@post(f"{API}/courses/{{course:int}}/assignments", tags=TAGS)
async def create_assignment(
    course: FromPath[int], data: JSONBody[s.AssignmentCreate], db: Db, principal: CurrentPrincipal
) -> s.AssignmentRead:
    return await service.create_assignment(db, principal, course, data)


@get(f"{API}/courses/{{course:int}}/assignments", tags=TAGS)
async def list_assignments(
    course: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> s.AssignmentList:
    return await service.list_assignments(db, principal, course, cursor, limit)


@get(f"{API}/assignments/{{assignment_id:int}}", tags=TAGS)
async def get_assignment(
    assignment_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> s.AssignmentRead:
    return await service.get_assignment(db, principal, assignment_id)


@patch(f"{API}/assignments/{{assignment_id:int}}", tags=TAGS)
async def update_assignment(
    assignment_id: FromPath[int],
    data: JSONBody[s.AssignmentUpdate],
    db: Db,
    principal: CurrentPrincipal,
) -> s.AssignmentRead:
    return await service.update_assignment(db, principal, assignment_id, data)


@post(f"{API}/assignments/{{assignment_id:int}}/phase", tags=TAGS, status_code=200)
async def change_phase(
    assignment_id: FromPath[int], data: JSONBody[s.PhaseChange], db: Db, principal: CurrentPrincipal
) -> s.AssignmentRead:
    return await service.change_phase(db, principal, assignment_id, data.phase)


@put(f"{API}/assignments/{{assignment_id:int}}/teams", tags=TAGS)
async def set_teams(
    assignment_id: FromPath[int], data: JSONBody[s.Teams], db: Db, principal: CurrentPrincipal
) -> dict:
    return await service.set_teams(db, principal, assignment_id, data)


@post(f"{API}/assignments/{{assignment_id:int}}/submissions", tags=TAGS)
async def submit(
    assignment_id: FromPath[int],
    data: JSONBody[s.SubmissionWrite],
    db: Db,
    principal: CurrentPrincipal,
) -> Response[s.SubmissionRead]:
    submission, created = await service.submit(db, principal, assignment_id, data)
    return Response(submission, status_code=201 if created else 200)


@get(f"{API}/assignments/{{assignment_id:int}}/submissions", tags=TAGS)
async def list_submissions(
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> s.SubmissionList:
    return await service.list_submissions(db, principal, assignment_id, cursor, limit)


@get(f"{API}/submissions/{{submission_id:int}}", tags=TAGS)
async def get_submission(
    submission_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> s.SubmissionRead:
    return await service.get_submission(db, principal, submission_id)


@get(f"{API}/submissions/{{submission_id:int}}/reviews", tags=TAGS)
async def reviews_of_submission(
    submission_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> s.ReviewList:
    return await service.reviews_of_submission(db, principal, submission_id, cursor, limit)


@post(f"{API}/submissions/{{submission_id:int}}/staff-score", tags=TAGS)
async def staff_score(
    submission_id: FromPath[int], data: JSONBody[s.StaffScore], db: Db, principal: CurrentPrincipal
) -> s.ReviewRead:
    return await service.staff_score(db, principal, submission_id, data)


@get(f"{API}/assignments/{{assignment_id:int}}/calibration", tags=TAGS)
async def calibration_state(
    assignment_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> s.CalibrationState:
    return await service.calibration_state(db, principal, assignment_id)


@post(f"{API}/assignments/{{assignment_id:int}}/calibration", tags=TAGS, status_code=200)
async def answer_calibration(
    assignment_id: FromPath[int],
    data: JSONBody[s.CalibrationAnswer],
    db: Db,
    principal: CurrentPrincipal,
) -> s.CalibrationResult:
    return await service.answer_calibration(db, principal, assignment_id, data)


@post(f"{API}/assignments/{{assignment_id:int}}/calibration/examples", tags=TAGS)
async def add_example(
    assignment_id: FromPath[int],
    data: JSONBody[s.ExampleCreate],
    db: Db,
    principal: CurrentPrincipal,
) -> s.ExampleRead:
    return await service.add_example(db, principal, assignment_id, data)


@post(
    f"{API}/assignments/{{assignment_id:int}}/allocations/batch",
    tags=TAGS,
    status_code=HTTP_202_ACCEPTED,
)
async def allocate_batch(assignment_id: FromPath[int], db: Db, principal: CurrentPrincipal) -> dict:
    return await service.request_batch_allocation(db, principal, assignment_id)


@post(f"{API}/assignments/{{assignment_id:int}}/allocations", tags=TAGS)
async def assign_manually(
    assignment_id: FromPath[int],
    data: JSONBody[s.ManualAllocation],
    db: Db,
    principal: CurrentPrincipal,
) -> s.AllocationRead:
    return await service.assign_manually(db, principal, assignment_id, data)


@delete(f"{API}/allocations/{{allocation_id:int}}", tags=TAGS, status_code=HTTP_204_NO_CONTENT)
async def cancel_allocation(
    allocation_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> None:
    await service.cancel_allocation(db, principal, allocation_id)


@get(f"{API}/assignments/{{assignment_id:int}}/waiting", tags=TAGS)
async def waiting(
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> s.WaitingList:
    return await service.waiting(db, principal, assignment_id, cursor, limit)


# A GET that leases: it writes, so it runs in its own transaction (the app's provider only
# opens one for non-GET methods).
@get(f"{API}/assignments/{{assignment_id:int}}/reviews/next", tags=TAGS, cache=False)
async def next_review(
    assignment_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> s.ReviewTask:
    async with db.transaction():
        return await service.next_review(db, principal, assignment_id)


@post(f"{API}/assignments/{{assignment_id:int}}/reviews", tags=TAGS)
async def create_review(
    assignment_id: FromPath[int],
    data: JSONBody[s.ReviewCreate],
    db: Db,
    principal: CurrentPrincipal,
) -> s.ReviewRead:
    return await service.create_review(db, principal, assignment_id, data)


@get(f"{API}/reviews/{{review_id:int}}", tags=TAGS)
async def get_review(review_id: FromPath[int], db: Db, principal: CurrentPrincipal) -> s.ReviewRead:
    return await service.get_review(db, principal, review_id)


@patch(f"{API}/reviews/{{review_id:int}}", tags=TAGS)
async def update_review(
    review_id: FromPath[int], data: JSONBody[s.ReviewUpdate], db: Db, principal: CurrentPrincipal
) -> s.ReviewRead:
    return await service.update_review(db, principal, review_id, data)


@post(f"{API}/reviews/{{review_id:int}}/helpfulness", tags=TAGS, status_code=200)
async def rate_review(
    review_id: FromPath[int], data: JSONBody[s.Helpfulness], db: Db, principal: CurrentPrincipal
) -> s.ReviewRead:
    return await service.review_feedback(db, principal, review_id, helpfulness=data.rating)


@post(f"{API}/reviews/{{review_id:int}}/flag", tags=TAGS, status_code=200)
async def flag_review(
    review_id: FromPath[int], data: JSONBody[s.AbuseFlag], db: Db, principal: CurrentPrincipal
) -> s.ReviewRead:
    return await service.review_feedback(db, principal, review_id, flag_reason=data.reason)


@post(
    f"{API}/assignments/{{assignment_id:int}}/grading-runs",
    tags=TAGS,
    status_code=HTTP_202_ACCEPTED,
)
async def request_grading(
    assignment_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> dict:
    return await service.request_grading(db, principal, assignment_id)


@get(f"{API}/assignments/{{assignment_id:int}}/grades", tags=TAGS)
async def list_grades(
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    doubtful: FromQuery[bool] = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> s.GradeList:
    return await service.list_grades(db, principal, assignment_id, cursor, limit, doubtful=doubtful)


@get(f"{API}/grades/{{submission_id:int}}", tags=TAGS)
async def get_grade(
    submission_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> s.GradeRead:
    return await service.get_grade(db, principal, submission_id)


@patch(f"{API}/grades/{{submission_id:int}}", tags=TAGS)
async def override_grade(
    submission_id: FromPath[int], data: JSONBody[s.Override], db: Db, principal: CurrentPrincipal
) -> s.GradeRead:
    return await service.override_grade(db, principal, submission_id, data)


@post(f"{API}/grades/{{submission_id:int}}/regrade", tags=TAGS)
async def request_regrade(
    submission_id: FromPath[int],
    data: JSONBody[s.RegradeCreate],
    db: Db,
    principal: CurrentPrincipal,
) -> s.RegradeRead:
    return await service.request_regrade(db, principal, submission_id, data)


@get(f"{API}/assignments/{{assignment_id:int}}/regrade-requests", tags=TAGS)
async def list_regrades(
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> s.RegradeList:
    return await service.list_regrades(db, principal, assignment_id, cursor, limit)


@get(f"{API}/assignments/{{assignment_id:int}}/passback", tags=TAGS)
async def passback_status(
    assignment_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> s.PassbackStatus:
    return await service.passback_status(db, principal, assignment_id)


ROUTES: list = [
    create_assignment,
    list_assignments,
    get_assignment,
    update_assignment,
    change_phase,
    set_teams,
    submit,
    list_submissions,
    get_submission,
    reviews_of_submission,
    staff_score,
    calibration_state,
    answer_calibration,
    add_example,
    allocate_batch,
    assign_manually,
    cancel_allocation,
    waiting,
    next_review,
    create_review,
    get_review,
    update_review,
    rate_review,
    flag_review,
    request_grading,
    list_grades,
    get_grade,
    override_grade,
    request_regrade,
    list_regrades,
    passback_status,
]
