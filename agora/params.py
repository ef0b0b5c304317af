"""Bounded HTTP parameter types every handler and page of every context declares.

    async def read_thread(thread_id: PathId, cursor: Cursor = None, limit: Limit = None): ...

An id outside bigint, an over-long cursor or a page size outside 1..MAX_LIMIT is a 400
problem+json from Litestar's validation, before any handler runs. Each list may then allow
less than MAX_LIMIT (agora.pagination.page_limit).

`RejectNulBytes` (app middleware) refuses a NUL character anywhere in the path or the query
string, for every route at once: no text parameter can then carry one to PostgreSQL, which
cannot store it and would answer a driver error (a 500). Bodies are checked by agora.schemas.Input
and page forms by agora.web.form_fields.
"""

from __future__ import annotations

from typing import Annotated

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.params import PathParameter, QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from agora.errors import BadRequest
from agora.pagination import MAX_CURSOR_LENGTH
from agora.schemas import MAX_ID

MAX_LIMIT = 500

PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
Cursor = Annotated[str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH)]
Limit = Annotated[int | None, QueryParameter(ge=1, le=MAX_LIMIT)]


class RejectNulBytes(ASGIMiddleware):
    """400 for a NUL character (%00) in the path or query string. It runs after routing, so
    the error takes the route's form: problem+json under /api, an error page under /ui."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            raise BadRequest("the address holds a NUL character (%00)")
        await next_app(scope, receive, send)
