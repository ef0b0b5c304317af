"""Posts: a thread's replies (page, reply), one post (read, edit, soft delete), its revisions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody

from agora import idempotency
from agora.deps import CurrentPrincipal, Db, Redis
from agora.idempotency import IdempotencyKey
from agora.params import Cursor, Limit, PathId
from forum.schemas import PostCreate, PostPage, PostRead, PostUpdate, RevisionPage
from forum.service import posts as posts_service
from forum.service import threads as threads_service


class ThreadPostRoutes(Controller):
    path = "/api/v1/threads/{thread_id:int}"
    tags = ["forum"]

    @get("/posts")
    async def posts(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> PostPage:
        return await threads_service.list_posts(db, principal, thread_id, cursor, limit)

    @post("/posts")
    async def reply(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        redis: Redis,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[PostCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PostRead]:
        """Reply to the thread (parent_id: to a post in it); 201. Idempotency-Key: a retry
        replays the first answer."""

        async def write() -> Response[PostRead]:
            post_read = await posts_service.create_post(db, redis, principal, thread_id, data)
            return Response(post_read, status_code=201)

        return await idempotency.once(db, request, principal, idempotency_key, write)


class PostRoutes(Controller):
    path = "/api/v1/posts/{post_id:int}"
    tags = ["forum"]

    @get()
    async def read(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await posts_service.get_post(db, principal, post_id)

    @patch()
    async def edit(
        self,
        db: Db,
        redis: Redis,
        principal: CurrentPrincipal,
        post_id: PathId,
        data: JSONBody[PostUpdate],
    ) -> PostRead:
        return await posts_service.edit_post(db, redis, principal, post_id, data)

    @delete()
    async def remove(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> None:
        """Soft delete (author or staff); the post stays as a placeholder in the tree."""
        await posts_service.delete_post(db, principal, post_id)

    @get("/revisions")
    async def revisions(
        self,
        db: Db,
        principal: CurrentPrincipal,
        post_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> RevisionPage:
        return await posts_service.revisions(db, principal, post_id, cursor, limit)
