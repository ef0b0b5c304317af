"""Full-text search of a course's forum, and similar-title suggestions while typing."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from agora.deps import CurrentPrincipal, Db, Redis
from agora.params import Cursor, Limit, PathId
from forum.schemas import SearchPage, SimilarPage
from forum.service import search as search_service


class SearchRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @get("/threads/similar")
    async def similar(
        self,
        db: Db,
        redis: Redis,
        principal: CurrentPrincipal,
        course_id: PathId,
        title: Annotated[str, QueryParameter(max_length=300)],
        limit: Limit = None,
    ) -> SimilarPage:
        """Threads whose titles resemble `title`, to suggest while typing a new one."""
        return await search_service.similar_threads(db, redis, principal, course_id, title, limit)

    @get("/search")
    async def search(
        self,
        db: Db,
        redis: Redis,
        principal: CurrentPrincipal,
        course_id: PathId,
        q: Annotated[str, QueryParameter(max_length=200)],
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> SearchPage:
        """Full-text search (web-search syntax, at most 16 words), ranked, with <mark>ed
        snippets; 30 searches a minute per user."""
        return await search_service.search_posts(db, redis, principal, course_id, q, cursor, limit)
