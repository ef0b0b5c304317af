"""Full-text search over posts, and "similar threads" by title (pg_trgm, else full text)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

# A bounded ranking window: only the newest `window` posts the viewer may see that match are
# ranked. They are looked for in three id ranges, newest first ($17 and $18 split them): a
# UNION ALL under a LIMIT runs a branch only while the window is not full, and the planner plans
# each branch for its own range, so a common word walks the primary key back a few hundred rows
# and a rare one ANDs the GIN index with an id range instead of fetching every match in the
# course (measured at 1,000,000 posts, bench/forum: a single range fetched 4,700 rows for a rare
# and a common word, 50-80 ms). Documents and query are both accent-folded (agora_fold,
# migration 0012). \x02/\x03 mark the highlights so the text can be HTML-escaped before they
# become <mark>; \x04 separates fragments.
_MATCHES = """
    SELECT p.id, p.search_vector
      FROM forum_posts p
      JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
     WHERE p.course_id = $1
       -- The query inline (not q.query) so the planner estimates matches from the statistics.
       AND p.search_vector @@ websearch_to_tsquery($2::regconfig, agora_fold($3))
       AND NOT p.deleted AND NOT t.deleted
       AND ($4::bool OR (NOT p.hidden AND NOT t.hidden))
       AND ($4::bool OR t.private_to IS NULL OR t.private_to = $5)  -- rules.can_see_private
       -- "Post before you see replies" (forum.rules.can_see_reply): the opening post, one's
       -- own replies, and others' once one has replied (or wrote the thread).
       AND ($4::bool OR NOT t.post_first OR p.parent_id IS NULL OR p.author_id = $5
            OR t.author_id = $5
            OR EXISTS (SELECT 1 FROM forum_posts mine
                        WHERE mine.course_id = p.course_id AND mine.thread_id = p.thread_id
                          AND mine.author_id = $5 AND mine.parent_id IS NOT NULL
                          AND NOT mine.deleted))
       AND ($10::bigint IS NULL OR t.board_id = $10)
       AND ($11::text IS NULL OR t.kind = $11)
       -- Answered: threads marked answered; unanswered: questions not (yet) answered.
       AND ($12::bool IS NULL OR (t.answered = $12 AND ($12 OR t.kind = 'question')))
       -- By author (a name prefix, staff only): never a post anonymous to all.
       AND ($13::text IS NULL
            OR (p.anonymity <> 'all'
                AND p.author_id IN (SELECT u.id FROM users u WHERE lower(u.name) LIKE $13)))
       AND ($14::timestamptz IS NULL OR p.created_at >= $14)
       AND ($15::timestamptz IS NULL OR p.created_at < $15)
"""

# Built once from the constant above (no input in it: every value is a bind parameter).
SEARCH_SQL = """
WITH q AS (SELECT websearch_to_tsquery($2::regconfig, agora_fold($3)) AS query),
candidates AS (
    (<matches> AND p.id > $17 ORDER BY p.id DESC LIMIT $16)
    UNION ALL
    (<matches> AND p.id <= $17 AND p.id > $18 ORDER BY p.id DESC LIMIT $16)
    UNION ALL
    (<matches> AND p.id <= $18 ORDER BY p.id DESC LIMIT $16)
    LIMIT $16
),
page AS (
    SELECT c.id, ts_rank(c.search_vector, q.query)::float8 AS rank
      FROM candidates c CROSS JOIN q
     WHERE (ts_rank(c.search_vector, q.query)::float8, c.id) < ($6::float8, $7::bigint)
     ORDER BY rank DESC, id DESC
     LIMIT $8
)
SELECT p.id, p.thread_id, p.author_id, p.anonymity, p.created_at, page.rank,
       t.title AS thread_title, u.name AS author_name, m.role AS author_role,
       d.text AS snippet_text,
       -- ts_headline re-parses the text it is given: a bounded prefix, not a 50,000-char body.
       ts_headline($2::regconfig, agora_fold(d.text), q.query,
                   'StartSel=' || chr(2) || ', StopSel=' || chr(3)
                   || ', FragmentDelimiter=' || chr(4)
                   || ', MaxWords=35, MinWords=12, MaxFragments=2') AS snippet
  FROM page
  JOIN forum_posts p ON p.course_id = $1 AND p.id = page.id
  JOIN forum_threads t ON t.course_id = $1 AND t.id = p.thread_id
  JOIN users u ON u.id = p.author_id
  LEFT JOIN memberships m ON m.course_id = $1 AND m.user_id = p.author_id
  CROSS JOIN q
  -- The rendered text (no Markdown, no TeX) of a bounded prefix of the HTML, a tag cut at the
  -- end dropped, and the marker characters taken out of it.
  CROSS JOIN LATERAL (
      SELECT translate(left(coalesce(p.title || E'\n', '') || agora_html_text(
                 regexp_replace(left(p.body_html, $9 * 2), '<[^>]*$', '')), $9),
             chr(2) || chr(3) || chr(4), '   ') AS text) d
 ORDER BY page.rank DESC, page.id DESC
""".replace("<matches>", _MATCHES)


async def set_local_search_planning(
    conn: asyncpg.Connection, work_mem: str, *, timeout_ms: int
) -> str:
    """Planner settings for this transaction's search (measured at 1M posts, see the service):
    enough work_mem for an exact bitmap; a custom plan per query, so match counts are estimated
    from the statistics of the actual words; random_page_cost for a cached/SSD database; no
    parallel workers (searches run side by side: a worker is a process start for a few ms of
    work). And a statement timeout, so no search holds a pooled connection for longer than
    `timeout_ms`.
    Returns the timeout it replaced, for set_local_timeout to put back when this transaction is
    a savepoint inside a longer one (SET LOCAL lasts until the outermost transaction ends)."""
    # One round trip: the previous timeout is read (the CTE) before the new one is set.
    previous: str = await conn.fetchval(
        """WITH previous AS MATERIALIZED (
               SELECT current_setting('statement_timeout') AS value)
           SELECT value FROM previous
            WHERE set_config('work_mem', $1, true) IS NOT NULL
              AND set_config('plan_cache_mode', 'force_custom_plan', true) IS NOT NULL
              AND set_config('random_page_cost', '1.1', true) IS NOT NULL
              AND set_config('max_parallel_workers_per_gather', '0', true) IS NOT NULL
              AND set_config('statement_timeout', $2, true) IS NOT NULL""",
        work_mem,
        str(timeout_ms),
    )
    return previous


async def set_local_timeout(conn: asyncpg.Connection, setting: int | str) -> str:
    """A statement timeout for the rest of this transaction (SET LOCAL): milliseconds, or a
    setting as PostgreSQL shows it ("0", "3s"). Returns the one it replaced."""
    previous: str = await conn.fetchval("SELECT current_setting('statement_timeout')")
    await conn.execute("SELECT set_config('statement_timeout', $1, true)", str(setting))
    return previous


async def select_search(
    conn: asyncpg.Connection,
    course_id: int,
    config: str,
    text: str,
    *,
    staff: bool,
    user_id: int,
    after: tuple[float, int],
    limit: int,
    window: int,
    snippet_source_chars: int,
    board_id: int | None = None,
    kind: str | None = None,
    answered: bool | None = None,
    author_like: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    ranges: tuple[int, int] = (0, 0),
) -> list[asyncpg.Record]:
    """Posts matching `text` among the newest `window` matches, by rank then id descending,
    after `after` = (rank, id). Without `staff`: no hidden posts or threads, no private threads
    of others, and no replies the viewer may not see yet. Filters: the thread's board, kind and
    answered state, the author's name (a LIKE pattern; never a post anonymous to all), and
    `since` <= created_at < `before`. The window fills from posts with ids above `ranges[0]`,
    then above `ranges[1]`, then the rest. `snippet_text` is the rendered text of the first
    `snippet_source_chars` of title and body; `snippet` its accent-folded headline."""
    return await conn.fetch(
        SEARCH_SQL, course_id, config, text, staff, user_id, after[0], after[1], limit,
        snippet_source_chars, board_id, kind, answered, author_like, since, before, window,
        ranges[0], ranges[1],
    )  # fmt: skip


async def select_newest_post_id(conn: asyncpg.Connection, course_id: int) -> int:
    newest: int | None = await conn.fetchval(
        "SELECT max(id) FROM forum_posts WHERE course_id = $1", course_id
    )
    return newest or 0


async def has_trigram(conn: asyncpg.Connection) -> bool:
    installed: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')"
    )
    return installed


async def select_similar_trgm(
    conn: asyncpg.Connection, course_id: int, title: str, *, staff: bool, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, title, kind, answered, similarity(title, $2)::float8 AS similarity
             FROM forum_threads
            WHERE course_id = $1 AND title % $2 AND NOT deleted AND ($3 OR NOT hidden)
              AND ($3 OR private_to IS NULL)  -- no private titles among suggestions
            ORDER BY similarity DESC, id DESC LIMIT $4""",
        course_id,
        title,
        staff,
        limit,
    )


async def select_similar_fts(
    conn: asyncpg.Connection, course_id: int, config: str, title: str, *, staff: bool, limit: int
) -> list[asyncpg.Record]:
    """Without pg_trgm: any title word as a prefix (while typing), ranked by full-text rank.
    Single letters are noise, but single digits are not ("Week 3", "Exercise 5")."""
    return await conn.fetch(
        """WITH q AS (
               SELECT to_tsquery($2::regconfig, string_agg(quote_literal(w) || ':*', ' | '))
                      AS query
                 FROM regexp_split_to_table(lower(agora_fold($3)), '[^[:alnum:]]+') AS w
                WHERE length(w) > 1 OR w ~ '^[0-9]$')
           SELECT t.id, t.title, t.kind, t.answered,
                  ts_rank(t.title_vector, q.query)::float8 AS similarity
             FROM forum_threads t CROSS JOIN q
            WHERE t.course_id = $1 AND q.query IS NOT NULL AND t.title_vector @@ q.query
              AND NOT t.deleted AND ($4 OR NOT t.hidden)
              AND ($4 OR t.private_to IS NULL)  -- no private titles among suggestions
            ORDER BY similarity DESC, t.id DESC LIMIT $5""",
        course_id,
        config,
        title,
        staff,
        limit,
    )
