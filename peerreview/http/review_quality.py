"""Review-quality routes: a reviewer's score for the quality of their reviews, its parts, and the
helpfulness ratings their reviews received (staff: any learner's, with `user_id`); staff's list of
every reviewer's, worst first."""

from __future__ import annotations

from litestar import get
from litestar.handlers import HTTPRouteHandler

from agora.deps import CurrentPrincipal, Db
from agora.names import NameSearch
from agora.params import Cursor, Limit, PathId, QueryId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import review_quality as review_quality_service


@get(f"{API}/assignments/{{assignment_id:int}}/review-quality", tags=TAGS)
async def get_review_quality(
    assignment_id: PathId, db: Db, principal: CurrentPrincipal, user_id: QueryId = None
) -> s.ReviewQualityRead:
    """Learners: their own, once grades are released. Staff: any learner's (`user_id`)."""
    return await review_quality_service.get_review_quality(db, principal, assignment_id, user_id)


@get(f"{API}/assignments/{{assignment_id:int}}/review-quality/reviewers", tags=TAGS)
async def list_review_quality(
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = None,
    q: NameSearch = None,
) -> s.ReviewerQualityPage:
    """Staff: every scored reviewer, worst first (`q`: whose name or email starts so)."""
    return await review_quality_service.list_review_quality(
        db, principal, assignment_id, cursor, limit, q
    )


ROUTES: list[HTTPRouteHandler] = [get_review_quality, list_review_quality]
