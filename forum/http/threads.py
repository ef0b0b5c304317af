"""Threads: the course's list (sorts, filters, keyset pages), create, read, edit, read marks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.params import FromQuery, JSONBody, QueryParameter

from agora import idempotency
from agora.deps import CurrentPrincipal, Db, Redis
from agora.errors import BadRequest
from agora.idempotency import IdempotencyKey
from agora.params import Cursor, Limit, PathId, QueryId
from forum.schemas import (
    ReadMark,
    ThreadCreate,
    ThreadPage,
    ThreadPublish,
    ThreadRead,
    ThreadUpdate,
)
from forum.service import reads as reads_service
from forum.service import threads as threads_service

FILTERS = frozenset(
    {"unread", "unanswered", "unresponded", "following", "mine", "flagged", "private"}
)


def parse_filters(value: str | None) -> frozenset[str]:
    """`filter=unread,mine` as a set of known filter names (400 naming any unknown one)."""
    names = frozenset(f.strip() for f in (value or "").split(",") if f.strip())
    unknown = names - FILTERS
    if unknown:
        raise BadRequest(f"unknown filter {sorted(unknown)}; use {', '.join(sorted(FILTERS))}")
    return names


class CourseThreadRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @get("/threads")
    async def list_threads(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        sort: FromQuery[Literal["activity", "new", "votes", "replies"]] = "activity",
        board: QueryId = None,
        kind: FromQuery[Literal["discussion", "question", "notes"] | None] = None,
        filter: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> ThreadPage:
        """Threads, pinned first, by sort; filters: comma-separated unread, unanswered,
        unresponded, following, mine, flagged (staff), private (staff: every private thread;
        a learner: their own)."""
        return await threads_service.list_threads(
            db,
            principal,
            course_id,
            sort=sort,
            board_id=board,
            kind=kind,
            filters=parse_filters(filter),
            cursor=cursor,
            limit=limit,
        )

    @post("/threads")
    async def create_thread(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        redis: Redis,
        principal: CurrentPrincipal,
        course_id: PathId,
        data: JSONBody[ThreadCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ThreadRead]:
        """Start a thread (201). Idempotency-Key: a retry replays the first answer."""

        async def write() -> Response[ThreadRead]:
            thread = await threads_service.create_thread(db, redis, principal, course_id, data)
            return Response(thread, status_code=201)

        return await idempotency.once(db, request, principal, idempotency_key, write)


class ThreadRoutes(Controller):
    path = "/api/v1/threads/{thread_id:int}"
    tags = ["forum"]

    @get()
    async def read(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> ThreadRead:
        """The thread and a page of its posts in tree order (next pages: next_cursor)."""
        return await threads_service.read_thread(
            db, principal, thread_id, cursor=cursor, limit=limit
        )

    @patch()
    async def update(
        self,
        db: Db,
        redis: Redis,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[ThreadUpdate],
    ) -> ThreadRead:
        """Edit the title and/or opening post (a revision is kept)."""
        return await threads_service.update_thread(db, redis, principal, thread_id, data)

    @post("/publish", status_code=200)
    async def publish(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[ThreadPublish | None] = None,
    ) -> ThreadRead:
        """Staff: make a private thread public (`anonymous`: its learner's posts become
        anonymous to peers). 409 if it is public already."""
        return await threads_service.make_public(db, principal, thread_id, data or ThreadPublish())

    @put("/read")
    async def read_mark(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[ReadMark | None] = None,
    ) -> dict[str, Any]:
        """Mark the thread read up to `seq` (default: everything so far)."""
        return await reads_service.mark_read(db, principal, thread_id, data.seq if data else None)
