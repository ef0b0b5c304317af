"""Search: full text over the posts a viewer may see, and "similar threads" while typing.

A search is the one request whose cost a user chooses, so each is bounded four ways: at most
MAX_TERMS words (and operators that could overflow PostgreSQL's tsquery stack removed), a
statement timeout so no search holds a pooled connection for long, snippets built from a bounded
prefix of each post, and a per-user rate limit. "Similar threads" gets a shorter timeout and
answers no suggestions rather than an error when it runs out.
"""

from __future__ import annotations

import re

import asyncpg
from redis.asyncio import Redis

from agora.errors import BadRequest, Unavailable
from agora.pagination import decode_cursor, next_page, page_limit
from agora.ratelimit import enforce_quota
from agora.schemas import MAX_ID
from agora.sessions import Principal
from forum import rules
from forum.presenters import search_hit_view, similar_view
from forum.queries import search as search_sql
from forum.schemas import SearchPage, SimilarPage
from forum.service.context import load_context

SEARCH_WORK_MEM = "64MB"
MAX_QUERY_CHARS = 200
MAX_TERMS = 16
SEARCH_TIMEOUT_MS = 3_000
SIMILAR_TIMEOUT_MS = 500
SNIPPET_SOURCE_CHARS = 5_000
SEARCHES_PER_MINUTE = 30
SIMILAR_PER_MINUTE = 120  # asked while typing a title (debounced by the page)
# websearch_to_tsquery nests one NOT per "-": a run of them ("-----a", "-(-(-(a") overflows its
# stack ("tsquery stack too small", a 500). A "-" only means NOT right before a word or a quote.
_LOOSE_MINUS = re.compile(r'-(?![\w"])')
_TERM = re.compile(r'[\w"]')


def search_terms(text: str) -> str:
    """The query as websearch_to_tsquery should see it; 400 if empty, too long or too many
    words."""
    text = text.strip()
    if not text or len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"q must be 1 to {MAX_QUERY_CHARS} characters")
    if "\x00" in text:
        raise BadRequest("q must not contain a NUL character")
    # Tokens without a letter, digit or quote ("(", "&", a lone "-") are separators to
    # websearch_to_tsquery: they are dropped, not counted.
    terms = [t for t in _LOOSE_MINUS.sub(" ", text).split() if _TERM.search(t)]
    if len(terms) > MAX_TERMS:
        raise BadRequest(f"search for at most {MAX_TERMS} words (got {len(terms)})")
    return " ".join(terms)


async def search_posts(
    conn: asyncpg.Connection,
    redis: Redis | None,
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
    text = search_terms(text)
    decoded = decode_cursor(cursor, (float, int))
    after = (decoded[0], decoded[1]) if decoded else (float("inf"), MAX_ID)
    await enforce_quota(
        redis, course_id, "search", principal.user_id, limit=SEARCHES_PER_MINUTE, window=60
    )
    # Broad queries match tens of thousands of posts: with the default work_mem their bitmap
    # turns lossy and every row on its pages is rechecked, and a generic plan guesses the match
    # count (measured with EXPLAIN ANALYZE at 1M posts: 2-3x slower without these settings).
    try:
        async with conn.transaction():
            previous = await search_sql.set_local_search_planning(
                conn, SEARCH_WORK_MEM, timeout_ms=SEARCH_TIMEOUT_MS
            )
            rows = await search_sql.select_search(
                conn, course_id, ctx.search_config, text, staff=rules.sees_hidden(principal),
                user_id=principal.user_id, after=after, limit=limit + 1,
                snippet_source_chars=SNIPPET_SOURCE_CHARS,
            )  # fmt: skip
            await search_sql.set_local_timeout(conn, previous)
    except asyncpg.QueryCanceledError:
        raise Unavailable(
            f"the search took longer than {SEARCH_TIMEOUT_MS // 1000} s; try more specific words"
        ) from None
    page, next_cursor = next_page(rows, limit, lambda r: (r["rank"], r["id"]))
    return SearchPage(items=[search_hit_view(principal, r) for r in page], next_cursor=next_cursor)


async def similar_threads(
    conn: asyncpg.Connection,
    redis: Redis | None,
    principal: Principal,
    course_id: int,
    title: str,
    limit: int | None,
) -> SimilarPage:
    """Threads whose title resembles `title` (asked already?), best first. Suggestions are a
    help, not an answer: past the timeout there are none."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    limit = page_limit(limit, default=5, maximum=20)
    title = title.strip()[:300]
    if "\x00" in title:
        raise BadRequest("title must not contain a NUL character")
    if len(title) < 3:
        return SimilarPage(items=[])
    await enforce_quota(
        redis, course_id, "similar", principal.user_id, limit=SIMILAR_PER_MINUTE, window=60
    )
    staff = rules.sees_hidden(principal)
    try:
        async with conn.transaction():
            previous = await search_sql.set_local_timeout(conn, SIMILAR_TIMEOUT_MS)
            if await search_sql.has_trigram(conn):
                rows = await search_sql.select_similar_trgm(
                    conn, course_id, title, staff=staff, limit=limit
                )
            else:
                rows = await search_sql.select_similar_fts(
                    conn, course_id, ctx.search_config, title, staff=staff, limit=limit
                )
            await search_sql.set_local_timeout(conn, previous)
    except asyncpg.QueryCanceledError:
        return SimilarPage(items=[])
    return SimilarPage(items=[similar_view(r) for r in rows])
