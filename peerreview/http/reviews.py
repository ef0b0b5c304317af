"""Review routes: write, read and edit a review, staff scores, the reviews of a submission,
and the author's helpfulness rating or abuse flag."""

from __future__ import annotations

from litestar import get, patch, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import Cursor, Limit, PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import reviews as reviews_service


@get(f"{API}/submissions/{{submission_id:int}}/reviews", tags=TAGS)
async def reviews_of_submission(
    submission_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = None,
) -> s.ReviewList:
    return await reviews_service.reviews_of_submission(db, principal, submission_id, cursor, limit)


@post(f"{API}/submissions/{{submission_id:int}}/staff-score", tags=TAGS)
async def staff_score(
    submission_id: PathId, data: JSONBody[s.StaffScore], db: Db, principal: CurrentPrincipal
) -> s.ReviewRead:
    return await reviews_service.staff_score(db, principal, submission_id, data)


@post(f"{API}/assignments/{{assignment_id:int}}/reviews", tags=TAGS)
async def create_review(
    assignment_id: PathId,
    data: JSONBody[s.ReviewCreate],
    db: Db,
    principal: CurrentPrincipal,
) -> s.ReviewRead:
    return await reviews_service.create_review(db, principal, assignment_id, data)


@get(f"{API}/reviews/{{review_id:int}}", tags=TAGS)
async def get_review(review_id: PathId, db: Db, principal: CurrentPrincipal) -> s.ReviewRead:
    return await reviews_service.get_review(db, principal, review_id)


@patch(f"{API}/reviews/{{review_id:int}}", tags=TAGS)
async def update_review(
    review_id: PathId, data: JSONBody[s.ReviewUpdate], db: Db, principal: CurrentPrincipal
) -> s.ReviewRead:
    return await reviews_service.update_review(db, principal, review_id, data)


@post(f"{API}/reviews/{{review_id:int}}/helpfulness", tags=TAGS, status_code=200)
async def rate_review(
    review_id: PathId, data: JSONBody[s.Helpfulness], db: Db, principal: CurrentPrincipal
) -> s.ReviewRead:
    return await reviews_service.review_feedback(db, principal, review_id, helpfulness=data.rating)


@post(f"{API}/reviews/{{review_id:int}}/flag", tags=TAGS, status_code=200)
async def flag_review(
    review_id: PathId, data: JSONBody[s.AbuseFlag], db: Db, principal: CurrentPrincipal
) -> s.ReviewRead:
    return await reviews_service.review_feedback(db, principal, review_id, flag_reason=data.reason)


ROUTES: list[HTTPRouteHandler] = [
    reviews_of_submission,
    staff_score,
    create_review,
    get_review,
    update_review,
    rate_review,
    flag_review,
]
