"""Bounded HTTP parameter types every handler and page of every context declares.

    async def read_thread(thread_id: PathId, cursor: Cursor = None, limit: Limit = None): ...

An id outside bigint, an over-long cursor or a page size outside 1..MAX_LIMIT is a 400
problem+json from Litestar's validation, before any handler runs. Each list may then allow
less than MAX_LIMIT (agora.pagination.page_limit).
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from agora.pagination import MAX_CURSOR_LENGTH
from agora.schemas import MAX_ID

MAX_LIMIT = 500

PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
Cursor = Annotated[str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH)]
Limit = Annotated[int | None, QueryParameter(ge=1, le=MAX_LIMIT)]
