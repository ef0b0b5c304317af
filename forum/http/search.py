"""Full-text search of a course's forum, and similar-title suggestions while typing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from agora.deps import CurrentPrincipal, Db, Redis
from agora.names import NameSearch
from agora.params import Cursor, Limit, PathId, QueryId
from forum.schemas import SearchPage, SimilarPage
from forum.service import search as search_service
from forum.service.search import SearchFilters


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
        board: QueryId = None,
        kind: FromQuery[Literal["discussion", "question", "notes"] | None] = None,
        answered: FromQuery[bool | None] = None,
        author: NameSearch = None,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
    ) -> SearchPage:
        """Full-text search (web-search syntax, at most 16 words, accents and case ignored),
        ranked, with <mark>ed snippets of the rendered text; 30 searches a minute per user.
        Filters: board, thread kind, answered (false: unanswered questions), author (the start
        of a name; staff only), since/until (days, inclusive, UTC)."""
        filters = SearchFilters(board, kind, answered, author, since, until)
        return await search_service.search_posts(
            db, redis, principal, course_id, q, cursor, limit, filters
        )
