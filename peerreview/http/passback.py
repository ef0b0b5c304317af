"""Passback route: what was sent to the LMS gradebook for an assignment, learner by learner."""

from __future__ import annotations

from litestar import get
from litestar.handlers import HTTPRouteHandler

from agora.deps import CurrentPrincipal, Db
from agora.names import NameSearch
from agora.params import Cursor, Limit, PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import passback as passback_service


@get(f"{API}/assignments/{{assignment_id:int}}/passback", tags=TAGS)
async def passback_status(
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = None,
    q: NameSearch = None,
) -> s.PassbackStatus:
    """Staff: a page of learners (by id) with what was sent; `q`: name or email starts."""
    return await passback_service.passback_status(db, principal, assignment_id, cursor, limit, q)


ROUTES: list[HTTPRouteHandler] = [passback_status]
