"""Search: full text over the posts a viewer may see, and "similar threads" while typing.

A search is the one request whose cost a user chooses, so each is bounded four ways: at most
MAX_TERMS words (and operators that could overflow PostgreSQL's tsquery stack removed), a
statement timeout so no search holds a pooled connection for long, snippets built from a bounded
prefix of each post, and a per-user rate limit. "Similar threads" gets a shorter timeout and
answers no suggestions rather than an error when it runs out.

Documents and queries are accent-folded (migration 0012's agora_fold: "rechauffement" finds
"réchauffement"), so PostgreSQL's headline is of folded text: `snippet` maps it back onto the
text as written, character by character, with `fold` (this module's copy of agora_fold).

Ranking is bounded: only the newest SEARCH_WINDOW matching posts the viewer may see are ranked
(measured at 1,000,000 posts in bench/forum, see README), so a word in every third post costs
what a rare one does.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import msgspec
from redis.asyncio import Redis

from agora.errors import BadRequest, Forbidden, Unavailable
from agora.names import like_prefix
from agora.pagination import decode_cursor, next_page, page_limit
from agora.ratelimit import enforce_quota
from agora.schemas import MAX_ID
from agora.sessions import Principal
from forum import rules
from forum.presenters import search_hit_view, similar_view, snippet_html
from forum.queries import search as search_sql
from forum.schemas import SearchHit, SearchPage, SimilarPage
from forum.service.context import load_context

SEARCH_WORK_MEM = "64MB"
MAX_QUERY_CHARS = 200
MAX_TERMS = 16
SEARCH_TIMEOUT_MS = 3_000
SEARCH_WINDOW = 100  # matching posts ranked per search (the newest the viewer may see)
# The window fills from the newest posts first: those among the course's newest 30,000 ids, then
# 300,000, then all (forum.queries.search.SEARCH_SQL says why; 20,000/200,000 and 50,000 were
# measured too: a rare and a common word then read 2-3 times the buffers, or a rare word did).
SEARCH_RANGES = (30_000, 300_000)
SIMILAR_TIMEOUT_MS = 500
SNIPPET_SOURCE_CHARS = 5_000
SEARCHES_PER_MINUTE = 30
SIMILAR_PER_MINUTE = 120  # asked while typing a title (debounced by the page)
# websearch_to_tsquery nests one NOT per "-": a run of them ("-----a", "-(-(-(a") overflows its
# stack ("tsquery stack too small", a 500). A "-" only means NOT right before a word or a quote.
_LOOSE_MINUS = re.compile(r'-(?![\w"])')
_TERM = re.compile(r'[\w"]')


# Letters NFKD leaves whole, spelled out as agora_fold does (migration 0012).
_SPELLED = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l",
     "Ł": "L", "đ": "d", "Đ": "D"}
)  # fmt: skip
_MARKS = re.compile("[\u0300-\u036f]")
FRAGMENT_SEPARATOR = " … "


def fold(char: str) -> str:
    """One character as agora_fold folds it: "é" → "e", "œ" → "oe", "ﬁ" → "fi"."""
    if char.isascii():
        return char
    return _MARKS.sub("", unicodedata.normalize("NFKD", char)).translate(_SPELLED)


def snippet(text: str, headline: str) -> str:
    """The headline PostgreSQL built from the folded `text`, in `text`'s own characters (accents
    and ligatures as written), the \x02/\x03 highlight markers kept, fragments joined by an
    ellipsis. A fragment that cannot be placed in `text` is shown folded."""
    starts = [0]  # starts[i]: where text[i] begins in the folded text
    folded_parts = []
    for char in text:
        part = fold(char)
        folded_parts.append(part)
        starts.append(starts[-1] + len(part))
    folded = "".join(folded_parts)

    def original(at: int) -> int:
        return bisect_right(starts, at) - 1

    fragments, cursor = [], 0
    for fragment in headline.split("\x04"):
        plain = fragment.replace("\x02", "").replace("\x03", "")
        found = folded.find(plain, cursor) if plain else -1
        if found < 0:
            fragments.append(fragment.strip())
            continue
        out, at, begin = [], found, found
        for char in fragment:
            if char in "\x02\x03":
                out.append(text[original(begin) : original(at)] + char)
                begin = at
            else:
                at += 1
        out.append(text[original(begin) : original(at)])
        fragments.append("".join(out).strip())
        cursor = at
    return FRAGMENT_SEPARATOR.join(f for f in fragments if f)


@dataclass(frozen=True)
class SearchFilters:
    """Search within a board, a thread kind, answered (True) or unanswered questions (False),
    posts by authors whose name starts with `author` (staff only), posted between `since` and
    `until` (days, inclusive, UTC)."""

    board_id: int | None = None
    kind: str | None = None
    answered: bool | None = None
    author: str | None = None
    since: date | None = None
    until: date | None = None


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


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
    filters: SearchFilters | None = None,
) -> SearchPage:
    """Posts matching `text` (web search syntax, accents and case ignored), best first, with
    highlighted snippets of their rendered text."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    filters = filters or SearchFilters()
    staff = rules.sees_hidden(principal)
    author = like_prefix(filters.author or "")
    if author is not None and not rules.can_search_by_author(principal):
        raise Forbidden("only staff search by author")
    if filters.since and filters.until and filters.since > filters.until:
        raise BadRequest("since must not be after until")
    limit = page_limit(limit, default=20, maximum=50)
    text = search_terms(text)
    decoded = decode_cursor(cursor, (float, int))
    after = (decoded[0], decoded[1]) if decoded else (float("inf"), MAX_ID)
    await enforce_quota(
        redis, course_id, "search", principal.user_id, limit=SEARCHES_PER_MINUTE, window=60
    )
    until = _day_start(filters.until + timedelta(days=1)) if filters.until else None
    # Broad queries match tens of thousands of posts: with the default work_mem their bitmap
    # turns lossy and every row on its pages is rechecked, and a generic plan guesses the match
    # count (measured with EXPLAIN ANALYZE at 1M posts: 2-3x slower without these settings).
    nested = conn.is_in_transaction()
    try:
        async with conn.transaction():
            previous = await search_sql.set_local_search_planning(
                conn, SEARCH_WORK_MEM, timeout_ms=SEARCH_TIMEOUT_MS
            )
            newest = await search_sql.select_newest_post_id(conn, course_id)
            rows = await search_sql.select_search(
                conn, course_id, ctx.search_config, text, staff=staff,
                user_id=principal.user_id, after=after, limit=limit + 1, window=SEARCH_WINDOW,
                snippet_source_chars=SNIPPET_SOURCE_CHARS, board_id=filters.board_id,
                kind=filters.kind, answered=filters.answered, author_like=author,
                since=_day_start(filters.since), before=until,
                ranges=(newest - SEARCH_RANGES[0], newest - SEARCH_RANGES[1]),
            )  # fmt: skip
            if nested:  # SET LOCAL would outlive this savepoint; a transaction's ends with it
                await search_sql.set_local_timeout(conn, previous)
    except asyncpg.QueryCanceledError:
        raise Unavailable(
            f"the search took longer than {SEARCH_TIMEOUT_MS // 1000} s; try more specific words"
        ) from None
    page, next_cursor = next_page(rows, limit, lambda r: (r["rank"], r["id"]))
    return SearchPage(items=[_hit(principal, r) for r in page], next_cursor=next_cursor)


def _hit(principal: Principal, row: asyncpg.Record) -> SearchHit:
    return msgspec.structs.replace(
        search_hit_view(principal, row),
        snippet=snippet_html(snippet(row["snippet_text"], row["snippet"])),
    )


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
