"""Full-text search over posts, and "similar threads" by title (pg_trgm, else full text)."""

from __future__ import annotations

import asyncpg

# Rank first on the index-matched rows, then build snippets for the page only. \x02/\x03 mark
# the highlights so the text can be HTML-escaped before they become <mark>.
SEARCH_SQL = """
WITH q AS (SELECT websearch_to_tsquery($2::regconfig, $3) AS query),
hits AS (
    SELECT p.id, p.thread_id, p.author_id, p.anonymity, p.created_at, p.title, p.body,
           ts_rank(p.search_vector, q.query)::float8 AS rank
      FROM forum_posts p
      CROSS JOIN q
      JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
     WHERE p.course_id = $1
       -- The query inline (not q.query) so the planner estimates matches from the statistics.
       AND p.search_vector @@ websearch_to_tsquery($2::regconfig, $3)
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
),
page AS (
    SELECT * FROM hits
     WHERE (rank, id) < ($6::float8, $7::bigint)
     ORDER BY rank DESC, id DESC
     LIMIT $8
)
SELECT page.*, t.title AS thread_title, u.name AS author_name, m.role AS author_role,
       -- ts_headline re-parses the text it is given: a bounded prefix, not a 50,000-char body.
       ts_headline($2::regconfig, left(coalesce(page.title || E'\n', '') || page.body, $9),
                   q.query,
                   'StartSel=' || chr(2) || ', StopSel=' || chr(3)
                   || ', MaxWords=35, MinWords=12, MaxFragments=2') AS snippet
  FROM page CROSS JOIN q
  JOIN forum_threads t ON t.course_id = $1 AND t.id = page.thread_id
  JOIN users u ON u.id = page.author_id
  LEFT JOIN memberships m ON m.course_id = $1 AND m.user_id = page.author_id
 ORDER BY page.rank DESC, page.id DESC
"""


async def set_local_search_planning(
    conn: asyncpg.Connection, work_mem: str, *, timeout_ms: int
) -> str:
    """Planner settings for this transaction's search (measured at 1M posts, see the service):
    enough work_mem for an exact bitmap; a custom plan per query, so match counts are estimated
    from the statistics of the actual words; random_page_cost for a cached/SSD database. And a
    statement timeout, so no search holds a pooled connection for longer than `timeout_ms`.
    Returns the timeout it replaced, for set_local_timeout to put back when this transaction is
    a savepoint inside a longer one (SET LOCAL lasts until the outermost transaction ends)."""
    previous: str = await conn.fetchval("SELECT current_setting('statement_timeout')")
    await conn.execute(
        """SELECT set_config('work_mem', $1, true),
                  set_config('plan_cache_mode', 'force_custom_plan', true),
                  set_config('random_page_cost', '1.1', true),
                  set_config('statement_timeout', $2, true)""",
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
    snippet_source_chars: int,
) -> list[asyncpg.Record]:
    """Posts matching `text`, by rank then id descending, after `after` = (rank, id). Without
    `staff`: no hidden posts or threads, and no replies the viewer may not see yet. Snippets
    come from the first `snippet_source_chars` of the title and body."""
    return await conn.fetch(
        SEARCH_SQL, course_id, config, text, staff, user_id, after[0], after[1], limit,
        snippet_source_chars,
    )  # fmt: skip


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
                 FROM regexp_split_to_table(lower($3), '[^[:alnum:]]+') AS w
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
