"""Search: full text over the posts a viewer may see, and "similar threads" while typing."""

from __future__ import annotations

import asyncpg

from agora.errors import BadRequest
from agora.pagination import decode_cursor, next_page, page_limit
from agora.schemas import MAX_ID
from agora.sessions import Principal
from forum import rules
from forum.presenters import search_hit_view, similar_view
from forum.queries import search as search_sql
from forum.schemas import SearchPage, SimilarPage
from forum.service.context import load_context

SEARCH_WORK_MEM = "64MB"


async def search_posts(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    text: str,
    cursor: str | None,
    limit: int | None,
) -> SearchPage:
    """Posts matching `text` (web search syntax), best first, with highlighted snippets."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, default=20, maximum=50)
    text = text.strip()
    if not text or len(text) > 200:
        raise BadRequest("q must be 1 to 200 characters")
    decoded = decode_cursor(cursor, (float, int))
    after = (decoded[0], decoded[1]) if decoded else (float("inf"), MAX_ID)
    # Broad queries match tens of thousands of posts: with the default work_mem their bitmap
    # turns lossy and every row on its pages is rechecked, and a generic plan guesses the match
    # count (measured with EXPLAIN ANALYZE at 1M posts: 2-3x slower without these settings).
    async with conn.transaction():
        await search_sql.set_local_search_planning(conn, SEARCH_WORK_MEM)
        rows = await search_sql.select_search(
            conn, course_id, ctx.search_config, text, staff=rules.sees_hidden(principal),
            user_id=principal.user_id, after=after, limit=limit + 1,
        )  # fmt: skip
    page, next_cursor = next_page(rows, limit, lambda r: (r["rank"], r["id"]))
    return SearchPage(items=[search_hit_view(principal, r) for r in page], next_cursor=next_cursor)


async def similar_threads(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    title: str,
    limit: int | None,
) -> SimilarPage:
    """Threads whose title resembles `title` (asked already?), best first."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, default=5, maximum=20)
    title = title.strip()[:300]
    if len(title) < 3:
        return SimilarPage(items=[])
    staff = rules.sees_hidden(principal)
    if await search_sql.has_trigram(conn):
        rows = await search_sql.select_similar_trgm(
            conn, course_id, title, staff=staff, limit=limit
        )
    else:
        rows = await search_sql.select_similar_fts(
            conn, course_id, ctx.search_config, title, staff=staff, limit=limit
        )
    return SimilarPage(items=[similar_view(r) for r in rows])
