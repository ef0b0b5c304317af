"""Allocation routes: batch and manual allocation, cancelling one, who waits for reviews, and
"review next" (which leases a submission to the reviewer)."""

from __future__ import annotations

from typing import Any

from litestar import delete, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from agora.deps import CurrentPrincipal, Db
from agora.names import NameSearch
from agora.params import Cursor, Limit, PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import allocations as allocations_service


@post(
    f"{API}/assignments/{{assignment_id:int}}/allocations/batch",
    tags=TAGS,
    status_code=HTTP_202_ACCEPTED,
)
async def allocate_batch(
    assignment_id: PathId, db: Db, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await allocations_service.request_batch_allocation(db, principal, assignment_id)


@post(f"{API}/assignments/{{assignment_id:int}}/allocations", tags=TAGS)
async def assign_manually(
    assignment_id: PathId,
    data: JSONBody[s.ManualAllocation],
    db: Db,
    principal: CurrentPrincipal,
) -> s.AllocationRead:
    return await allocations_service.assign_manually(db, principal, assignment_id, data)


@delete(f"{API}/allocations/{{allocation_id:int}}", tags=TAGS, status_code=HTTP_204_NO_CONTENT)
async def cancel_allocation(allocation_id: PathId, db: Db, principal: CurrentPrincipal) -> None:
    await allocations_service.cancel_allocation(db, principal, allocation_id)


@get(f"{API}/assignments/{{assignment_id:int}}/waiting", tags=TAGS)
async def waiting(
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = None,
    q: NameSearch = None,
) -> s.WaitingList:
    """Staff: learners whose submission still waits for reviews (`q`: name or email starts)."""
    return await allocations_service.waiting(db, principal, assignment_id, cursor, limit, q)


# A GET that leases: it writes, so it runs in its own transaction (the app's provider only
# opens one for non-GET methods).
@get(f"{API}/assignments/{{assignment_id:int}}/reviews/next", tags=TAGS, cache=False)
async def next_review(assignment_id: PathId, db: Db, principal: CurrentPrincipal) -> s.ReviewTask:
    async with db.transaction():
        return await allocations_service.next_review(db, principal, assignment_id)


ROUTES: list[HTTPRouteHandler] = [
    allocate_batch,
    assign_manually,
    cancel_allocation,
    waiting,
    next_review,
]
