"""Submission routes: submit (or edit) one's work, list and read submissions."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from agora import idempotency
from agora.deps import CurrentPrincipal, Db
from agora.idempotency import IdempotencyKey
from agora.params import Cursor, Limit, PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import submissions as submissions_service


@post(f"{API}/assignments/{{assignment_id:int}}/submissions", tags=TAGS)
async def submit(
    request: Request[Any, Any, Any],
    assignment_id: PathId,
    data: JSONBody[s.SubmissionWrite],
    db: Db,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> Response[s.SubmissionRead]:
    """201 for a first submission, 200 when it replaces the author's earlier one.
    Idempotency-Key: a retry replays the first answer."""

    async def write() -> Response[s.SubmissionRead]:
        submission, created = await submissions_service.submit(db, principal, assignment_id, data)
        return Response(submission, status_code=201 if created else 200)

    return await idempotency.once(db, request, principal, idempotency_key, write)


@get(f"{API}/assignments/{{assignment_id:int}}/submissions", tags=TAGS)
async def list_submissions(
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = None,
) -> s.SubmissionList:
    return await submissions_service.list_submissions(db, principal, assignment_id, cursor, limit)


@get(f"{API}/submissions/{{submission_id:int}}", tags=TAGS)
async def get_submission(
    submission_id: PathId, db: Db, principal: CurrentPrincipal
) -> s.SubmissionRead:
    return await submissions_service.get_submission(db, principal, submission_id)


ROUTES: list[HTTPRouteHandler] = [submit, list_submissions, get_submission]
