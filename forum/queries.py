"""Forum SQL. Every query is scoped by course_id; lists are keyset-paginated."""

from __future__ import annotations

import asyncpg

# ---- course context -------------------------------------------------------------------------

# The course's forum settings, search configuration and the viewer's active restrictions, in one
# round trip; every endpoint starts from it.
VIEWER_SQL = """
SELECT c.settings -> 'forum' AS forum_settings,
       CASE c.language WHEN 'fr' THEN 'french' ELSE 'english' END AS search_config,
       ARRAY(SELECT kind FROM forum_restrictions r
              WHERE r.course_id = c.id AND r.user_id = $2
                AND (r.expires_at IS NULL OR r.expires_at > now())) AS restrictions
  FROM courses c WHERE c.id = $1
"""


async def select_viewer(conn: asyncpg.Connection, course_id: int, user_id: int):
    return await conn.fetchrow(VIEWER_SQL, course_id, user_id)


# ---- boards ---------------------------------------------------------------------------------


async def insert_default_board(conn, course_id: int) -> None:
    await conn.execute(
        """INSERT INTO forum_boards (course_id, name, description, is_default)
           SELECT $1, 'General', 'Questions and discussion about the course', true
            WHERE NOT EXISTS (SELECT 1 FROM forum_boards WHERE course_id = $1 AND is_default)
           ON CONFLICT DO NOTHING""",
        course_id,
    )


async def select_boards(conn, course_id: int, user_id: int, *, staff: bool, limit: int):
    return await conn.fetch(
        """SELECT b.id, b.name, b.description, b.position, b.is_default, b.archived,
                  (SELECT count(*) FROM forum_threads t
                    WHERE t.course_id = b.course_id AND t.board_id = b.id AND NOT t.deleted
                      AND ($3 OR NOT t.hidden)) AS thread_count,
                  (SELECT count(*) FROM forum_threads t
                     LEFT JOIN forum_reads r ON r.course_id = t.course_id AND r.user_id = $2
                                            AND r.thread_id = t.id
                    WHERE t.course_id = b.course_id AND t.board_id = b.id AND NOT t.deleted
                      AND ($3 OR NOT t.hidden)
                      AND t.last_seq > coalesce(r.read_seq, 0)) AS unread_threads,
                  EXISTS (SELECT 1 FROM forum_follows f
                           WHERE f.course_id = b.course_id AND f.user_id = $2
                             AND f.target_kind = 'board' AND f.target_id = b.id) AS following
             FROM forum_boards b
            WHERE b.course_id = $1 AND ($3 OR NOT b.archived)
            ORDER BY b.position, b.id LIMIT $4""",
        course_id,
        user_id,
        staff,
        limit,
    )


async def count_boards(conn, course_id: int) -> int:
    return await conn.fetchval("SELECT count(*) FROM forum_boards WHERE course_id = $1", course_id)


async def select_board(conn, course_id: int, board_id: int):
    return await conn.fetchrow(
        "SELECT * FROM forum_boards WHERE course_id = $1 AND id = $2", course_id, board_id
    )


async def select_default_board_id(conn, course_id: int) -> int | None:
    return await conn.fetchval(
        "SELECT id FROM forum_boards WHERE course_id = $1 AND is_default", course_id
    )


async def insert_board(conn, course_id: int, name: str, description: str, position: int):
    return await conn.fetchrow(
        """INSERT INTO forum_boards (course_id, name, description, position)
           VALUES ($1, $2, $3, $4) RETURNING *""",
        course_id,
        name,
        description,
        position,
    )


async def update_board(conn, course_id: int, board_id: int, name, description, position, archived):
    return await conn.fetchrow(
        """UPDATE forum_boards
              SET name = coalesce($3, name), description = coalesce($4, description),
                  position = coalesce($5, position), archived = coalesce($6, archived)
            WHERE course_id = $1 AND id = $2 RETURNING *""",
        course_id,
        board_id,
        name,
        description,
        position,
        archived,
    )


# ---- threads --------------------------------------------------------------------------------

# The thread, its author, the course settings and everything about the viewer the page needs
# (read position, follow, restrictions, whether they replied): one query.
THREAD_PAGE_SQL = """
SELECT t.*, u.name AS author_name, m.role AS author_role,
       c.settings -> 'forum' AS forum_settings,
       coalesce(r.read_seq, 0) AS read_seq,
       EXISTS (SELECT 1 FROM forum_follows f
                WHERE f.course_id = t.course_id AND f.user_id = $3
                  AND f.target_kind = 'thread' AND f.target_id = t.id) AS following,
       ARRAY(SELECT kind FROM forum_restrictions x
              WHERE x.course_id = t.course_id AND x.user_id = $3
                AND (x.expires_at IS NULL OR x.expires_at > now())) AS restrictions,
       CASE WHEN t.last_seq > coalesce(r.read_seq, 0) THEN
            (SELECT count(*) FROM (
                SELECT 1 FROM forum_posts p
                 WHERE p.course_id = t.course_id AND p.thread_id = t.id
                   AND p.seq > coalesce(r.read_seq, 0) AND NOT p.deleted AND NOT p.hidden
                   AND p.author_id <> $3
                 LIMIT 200) unread)
       ELSE 0 END AS unread_count,
       (t.post_first AND EXISTS (
            SELECT 1 FROM forum_posts p
             WHERE p.course_id = t.course_id AND p.author_id = $3 AND p.thread_id = t.id
               AND p.parent_id IS NOT NULL AND NOT p.deleted)) AS has_replied
  FROM forum_threads t
  JOIN courses c ON c.id = t.course_id
  JOIN users u ON u.id = t.author_id
  LEFT JOIN memberships m ON m.course_id = t.course_id AND m.user_id = t.author_id
  LEFT JOIN forum_reads r ON r.course_id = t.course_id AND r.user_id = $3 AND r.thread_id = t.id
 WHERE t.course_id = $1 AND t.id = $2
"""


async def select_thread_page_head(conn, course_id: int, thread_id: int, user_id: int):
    return await conn.fetchrow(THREAD_PAGE_SQL, course_id, thread_id, user_id)


async def select_thread(conn, course_id: int, thread_id: int, *, for_update: bool = False):
    sql = (
        "SELECT * FROM forum_threads WHERE course_id = $1 AND id = $2 FOR UPDATE"
        if for_update
        else "SELECT * FROM forum_threads WHERE course_id = $1 AND id = $2"
    )
    return await conn.fetchrow(sql, course_id, thread_id)


async def insert_thread(
    conn, course_id, board_id, author_id, kind, anonymity, title, search_config, post_first
) -> int:
    return await conn.fetchval(
        """INSERT INTO forum_threads (course_id, board_id, author_id, kind, anonymity, title,
                                      search_config, post_first, post_seq, last_seq)
           VALUES ($1, $2, $3, $4, $5, $6, $7::regconfig, $8, 1, 1) RETURNING id""",
        course_id,
        board_id,
        author_id,
        kind,
        anonymity,
        title,
        search_config,
        post_first,
    )


async def update_thread_for_reply(conn, course_id: int, thread_id: int):
    """Hand out the next sequence number and bump the counters, in the writing transaction."""
    return await conn.fetchrow(
        """UPDATE forum_threads
              SET post_seq = post_seq + 1, last_seq = post_seq + 1,
                  reply_count = reply_count + 1, last_activity_at = clock_timestamp()
            WHERE course_id = $1 AND id = $2
        RETURNING post_seq, last_activity_at""",
        course_id,
        thread_id,
    )


async def update_thread_recount(conn, course_id: int, thread_id: int) -> None:
    """Recompute the counters a delete/hide/restore/accept/endorse may have changed."""
    await conn.execute(
        """UPDATE forum_threads t
              SET reply_count = (SELECT count(*) FROM forum_posts p
                                  WHERE p.course_id = t.course_id AND p.thread_id = t.id
                                    AND p.parent_id IS NOT NULL
                                    AND NOT p.deleted AND NOT p.hidden),
                  last_seq = coalesce((SELECT max(p.seq) FROM forum_posts p
                                        WHERE p.course_id = t.course_id AND p.thread_id = t.id
                                          AND NOT p.deleted AND NOT p.hidden), 0),
                  answered = EXISTS (SELECT 1 FROM forum_posts p
                                      WHERE p.course_id = t.course_id AND p.thread_id = t.id
                                        AND p.parent_id IS NOT NULL
                                        AND (p.accepted OR p.endorsed)
                                        AND NOT p.deleted AND NOT p.hidden),
                  open_flags = (SELECT count(*) FROM forum_flags f
                                 WHERE f.course_id = t.course_id AND f.thread_id = t.id
                                   AND f.status = 'open')
            WHERE t.course_id = $1 AND t.id = $2""",
        course_id,
        thread_id,
    )


async def update_thread_fields(conn, course_id: int, thread_id: int, **fields):
    """Set moderation fields; the column names come from this module's callers, never input."""
    allowed = {
        "pinned": """UPDATE forum_threads SET pinned = $3
                    WHERE course_id = $1 AND id = $2""",
        "locked": """UPDATE forum_threads SET locked = $3
                    WHERE course_id = $1 AND id = $2""",
        "closed": """UPDATE forum_threads SET closed = $3
                    WHERE course_id = $1 AND id = $2""",
        "hidden": """UPDATE forum_threads SET hidden = $3
                    WHERE course_id = $1 AND id = $2""",
        "deleted": """UPDATE forum_threads SET deleted = $3
                    WHERE course_id = $1 AND id = $2""",
        "state_reason": """UPDATE forum_threads SET state_reason = $3
                    WHERE course_id = $1 AND id = $2""",
        "board_id": """UPDATE forum_threads SET board_id = $3
                    WHERE course_id = $1 AND id = $2""",
        "duplicate_of": """UPDATE forum_threads SET duplicate_of = $3
                    WHERE course_id = $1 AND id = $2""",
        "title": """UPDATE forum_threads SET title = $3
                    WHERE course_id = $1 AND id = $2""",
        "score": """UPDATE forum_threads SET score = $3
                    WHERE course_id = $1 AND id = $2""",
    }
    for name, value in fields.items():
        await conn.execute(allowed[name], course_id, thread_id, value)


_LIST_TEMPLATE = """
SELECT t.id, t.board_id, t.kind, t.title, t.author_id, t.anonymity, t.pinned, t.locked,
       t.closed, t.hidden, t.deleted, t.answered, t.post_first, t.duplicate_of, t.reply_count,
       t.score, t.open_flags, t.last_seq, t.last_activity_at, t.created_at,
       u.name AS author_name, m.role AS author_role,
       (f.user_id IS NOT NULL) AS following,
       -- Exact up to UNREAD_CAP (shown as "200+"): a page of huge unread threads costs at most
       -- 20 x 200 index entries.
       CASE WHEN t.last_seq > coalesce(r.read_seq, 0) THEN
            (SELECT count(*) FROM (
                SELECT 1 FROM forum_posts p
                 WHERE p.course_id = t.course_id AND p.thread_id = t.id
                   AND p.seq > coalesce(r.read_seq, 0) AND NOT p.deleted AND NOT p.hidden
                   AND p.author_id <> $2
                 LIMIT 200) unread)
       ELSE 0 END AS unread_count,
       t.@SORT@ AS sort_value
  FROM forum_threads t
  JOIN users u ON u.id = t.author_id
  LEFT JOIN memberships m ON m.course_id = t.course_id AND m.user_id = t.author_id
  LEFT JOIN forum_reads r ON r.course_id = t.course_id AND r.user_id = $2 AND r.thread_id = t.id
  LEFT JOIN forum_follows f ON f.course_id = t.course_id AND f.user_id = $2
                           AND f.target_kind = 'thread' AND f.target_id = t.id
 WHERE t.course_id = $1 AND NOT t.deleted
   AND ($3::bool OR NOT t.hidden)
   AND ($4::bigint IS NULL OR t.board_id = $4)
   AND ($5::text IS NULL OR t.kind = $5)
   AND (NOT $6::bool OR t.last_seq > coalesce(r.read_seq, 0))
   AND (NOT $7::bool OR (t.kind = 'question' AND NOT t.answered AND NOT t.closed))
   AND (NOT $8::bool OR t.reply_count = 0)
   AND (NOT $9::bool OR f.user_id IS NOT NULL)
   AND (NOT $10::bool OR t.author_id = $2)
   AND (NOT $11::bool OR t.open_flags > 0)
   AND (t.pinned, t.@SORT@, t.id) < ($12::bool, $13::@TYPE@, $14::bigint)
 ORDER BY t.pinned DESC, t.@SORT@ DESC, t.id DESC
 LIMIT $15
"""

# One constant query per sort (so each walks its own index); the placeholders are filled from
# this table at import time, never from input.
SORTS = {
    "activity": ("last_activity_at", "timestamptz"),
    "new": ("created_at", "timestamptz"),
    "votes": ("score", "integer"),
    "replies": ("reply_count", "integer"),
}
LIST_SQL = {
    sort: _LIST_TEMPLATE.replace("@SORT@", column).replace("@TYPE@", type_)
    for sort, (column, type_) in SORTS.items()
}


async def select_threads(
    conn,
    course_id: int,
    user_id: int,
    *,
    sort: str,
    staff: bool,
    board_id: int | None,
    kind: str | None,
    unread: bool,
    unanswered: bool,
    unresponded: bool,
    following: bool,
    mine: bool,
    flagged: bool,
    after: tuple,
    limit: int,
):
    return await conn.fetch(
        LIST_SQL[sort],
        course_id,
        user_id,
        staff,
        board_id,
        kind,
        unread,
        unanswered,
        unresponded,
        following,
        mine,
        flagged,
        *after,
        limit,
    )


UNREAD_CAP = 200  # keep in step with the LIMIT in _LIST_TEMPLATE


# ---- posts ----------------------------------------------------------------------------------

# One page of a thread's tree: one range scan of (course_id, thread_id, path), with the viewer's
# votes joined in.
POSTS_PAGE_SQL = """
SELECT p.id, p.thread_id, p.parent_id, p.seq, p.path, p.depth, p.author_id, p.anonymity,
       p.body, p.body_html, p.score, p.reply_count, p.endorsed, p.accepted, p.deleted,
       p.hidden, p.hidden_reason, p.edited_at, p.created_at,
       u.name AS author_name, m.role AS author_role, (v.user_id IS NOT NULL) AS voted
  FROM forum_posts p
  JOIN users u ON u.id = p.author_id
  LEFT JOIN memberships m ON m.course_id = p.course_id AND m.user_id = p.author_id
  LEFT JOIN forum_votes v ON v.course_id = p.course_id AND v.post_id = p.id AND v.user_id = $4
 WHERE p.course_id = $1 AND p.thread_id = $2 AND p.path > $3
   AND ($5::bool OR p.parent_id IS NULL OR p.author_id = $4)
 ORDER BY p.path
 LIMIT $6
"""


async def select_posts_page(
    conn,
    course_id: int,
    thread_id: int,
    user_id: int,
    *,
    after_path: str,
    all_replies: bool,
    limit: int,
):
    return await conn.fetch(
        POSTS_PAGE_SQL, course_id, thread_id, after_path, user_id, all_replies, limit
    )


POST_SQL = """
SELECT p.*, u.name AS author_name, m.role AS author_role,
       t.author_id AS thread_author_id, t.kind AS thread_kind, t.locked AS thread_locked,
       t.closed AS thread_closed, t.post_first AS thread_post_first, t.hidden AS thread_hidden,
       t.deleted AS thread_deleted, t.title AS thread_title,
       EXISTS (SELECT 1 FROM forum_votes v WHERE v.course_id = p.course_id
                  AND v.post_id = p.id AND v.user_id = $3) AS voted,
       c.settings -> 'forum' AS forum_settings
  FROM forum_posts p
  JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
  JOIN courses c ON c.id = p.course_id
  JOIN users u ON u.id = p.author_id
  LEFT JOIN memberships m ON m.course_id = p.course_id AND m.user_id = p.author_id
 WHERE p.course_id = $1 AND p.id = $2
"""


async def select_post(conn, course_id: int, post_id: int, user_id: int = 0):
    return await conn.fetchrow(POST_SQL, course_id, post_id, user_id)


async def select_post_for_update(conn, course_id: int, post_id: int):
    return await conn.fetchrow(
        "SELECT * FROM forum_posts WHERE course_id = $1 AND id = $2 FOR UPDATE", course_id, post_id
    )


async def insert_post(
    conn,
    course_id,
    thread_id,
    parent_id,
    seq,
    path,
    depth,
    author_id,
    anonymity,
    title,
    body,
    body_html,
    search_config,
):
    return await conn.fetchrow(
        """INSERT INTO forum_posts (course_id, thread_id, parent_id, seq, path, depth, author_id,
                                    anonymity, title, body, body_html, search_config)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::regconfig)
        RETURNING id, created_at""",
        course_id,
        thread_id,
        parent_id,
        seq,
        path,
        depth,
        author_id,
        anonymity,
        title,
        body,
        body_html,
        search_config,
    )


async def update_parent_reply_count(conn, course_id: int, parent_id: int, delta: int) -> None:
    await conn.execute(
        """UPDATE forum_posts SET reply_count = greatest(reply_count + $3, 0)
            WHERE course_id = $1 AND id = $2""",
        course_id,
        parent_id,
        delta,
    )


async def update_post_body(conn, course_id, post_id, body, body_html, title) -> None:
    await conn.execute(
        """UPDATE forum_posts
              SET body = $3, body_html = $4, title = coalesce($5, title), edited_at = now()
            WHERE course_id = $1 AND id = $2""",
        course_id,
        post_id,
        body,
        body_html,
        title,
    )


async def update_post_flags(
    conn, course_id: int, post_id: int, *, deleted=None, hidden=None, hidden_reason=None
) -> None:
    await conn.execute(
        """UPDATE forum_posts
              SET deleted = coalesce($3, deleted), hidden = coalesce($4, hidden),
                  hidden_reason = coalesce($5, hidden_reason)
            WHERE course_id = $1 AND id = $2""",
        course_id,
        post_id,
        deleted,
        hidden,
        hidden_reason,
    )


async def update_post_endorsed(conn, course_id, post_id, endorsed: bool, by: int | None) -> None:
    await conn.execute(
        "UPDATE forum_posts SET endorsed = $3, endorsed_by = $4 WHERE course_id = $1 AND id = $2",
        course_id,
        post_id,
        endorsed,
        by,
    )


async def update_post_accepted(conn, course_id, thread_id, post_id: int | None) -> None:
    """At most one accepted answer per thread: set it on post_id, clear it everywhere else."""
    await conn.execute(
        """UPDATE forum_posts SET accepted = coalesce(id = $3, false)
            WHERE course_id = $1 AND thread_id = $2 AND (accepted OR id = $3)""",
        course_id,
        thread_id,
        post_id,
    )


async def insert_revision(conn, course_id, post_id, editor_id, reason, reason_code, title, body):
    await conn.execute(
        """INSERT INTO forum_revisions (course_id, post_id, editor_id, reason, reason_code,
                                        title, body)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        course_id,
        post_id,
        editor_id,
        reason,
        reason_code,
        title,
        body,
    )


async def select_revisions(conn, course_id: int, post_id: int, after_id: int, limit: int):
    return await conn.fetch(
        """SELECT r.*, u.name AS editor_name, m.role AS editor_role
             FROM forum_revisions r
             JOIN users u ON u.id = r.editor_id
             LEFT JOIN memberships m ON m.course_id = r.course_id AND m.user_id = r.editor_id
            WHERE r.course_id = $1 AND r.post_id = $2 AND r.id > $3
            ORDER BY r.id LIMIT $4""",
        course_id,
        post_id,
        after_id,
        limit,
    )


# ---- votes, follows, reads ------------------------------------------------------------------


async def insert_vote(conn, course_id: int, post_id: int, user_id: int) -> bool:
    status = await conn.execute(
        """INSERT INTO forum_votes (course_id, post_id, user_id, value) VALUES ($1, $2, $3, 1)
           ON CONFLICT DO NOTHING""",
        course_id,
        post_id,
        user_id,
    )
    return status.endswith(" 1")


async def delete_vote(conn, course_id: int, post_id: int, user_id: int) -> bool:
    status = await conn.execute(
        "DELETE FROM forum_votes WHERE course_id = $1 AND post_id = $2 AND user_id = $3",
        course_id,
        post_id,
        user_id,
    )
    return status.endswith(" 1")


async def update_post_score(conn, course_id: int, post_id: int, delta: int) -> int:
    return await conn.fetchval(
        """UPDATE forum_posts SET score = score + $3 WHERE course_id = $1 AND id = $2
        RETURNING score""",
        course_id,
        post_id,
        delta,
    )


async def insert_follow(conn, course_id: int, user_id: int, kind: str, target_id: int) -> None:
    await conn.execute(
        """INSERT INTO forum_follows (course_id, user_id, target_kind, target_id)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        course_id,
        user_id,
        kind,
        target_id,
    )


async def delete_follow(conn, course_id: int, user_id: int, kind: str, target_id: int) -> None:
    await conn.execute(
        """DELETE FROM forum_follows
            WHERE course_id = $1 AND user_id = $2 AND target_kind = $3 AND target_id = $4""",
        course_id,
        user_id,
        kind,
        target_id,
    )


async def upsert_read(conn, course_id: int, user_id: int, thread_id: int, seq: int) -> int:
    return await conn.fetchval(
        """INSERT INTO forum_reads (course_id, user_id, thread_id, read_seq)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (course_id, user_id, thread_id) DO UPDATE
              SET read_seq = greatest(forum_reads.read_seq, EXCLUDED.read_seq), read_at = now()
        RETURNING read_seq""",
        course_id,
        user_id,
        thread_id,
        seq,
    )


async def upsert_read_after_own_post(conn, course_id, user_id, thread_id, seq, prev_last) -> None:
    """Your own post is never unread; if you had seen everything before it, you still have."""
    await conn.execute(
        """INSERT INTO forum_reads (course_id, user_id, thread_id, read_seq)
           VALUES ($1, $2, $3, CASE WHEN $5 = 0 THEN $4 ELSE 0 END)
           ON CONFLICT (course_id, user_id, thread_id) DO UPDATE
              SET read_seq = CASE WHEN forum_reads.read_seq >= $5 THEN $4
                                  ELSE forum_reads.read_seq END,
                  read_at = now()""",
        course_id,
        user_id,
        thread_id,
        seq,
        prev_last,
    )


# ---- search ---------------------------------------------------------------------------------

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
       AND ($4::bool OR NOT t.post_first OR p.parent_id IS NULL OR p.author_id = $5
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
       ts_headline($2::regconfig, coalesce(page.title || E'\n', '') || page.body, q.query,
                   'StartSel=' || chr(2) || ', StopSel=' || chr(3)
                   || ', MaxWords=35, MinWords=12, MaxFragments=2') AS snippet
  FROM page CROSS JOIN q
  JOIN forum_threads t ON t.course_id = $1 AND t.id = page.thread_id
  JOIN users u ON u.id = page.author_id
  LEFT JOIN memberships m ON m.course_id = $1 AND m.user_id = page.author_id
 ORDER BY page.rank DESC, page.id DESC
"""


async def set_local_search_planning(conn, work_mem: str) -> None:
    """Planner settings for this transaction's search (measured at 1M posts, see service):
    enough work_mem for an exact bitmap; a custom plan per query, so match counts are estimated
    from the statistics of the actual words; random_page_cost for a cached/SSD database."""
    await conn.execute(
        """SELECT set_config('work_mem', $1, true),
                  set_config('plan_cache_mode', 'force_custom_plan', true),
                  set_config('random_page_cost', '1.1', true)""",
        work_mem,
    )


async def select_search(conn, course_id, config, text, *, staff, user_id, after, limit):
    return await conn.fetch(
        SEARCH_SQL, course_id, config, text, staff, user_id, after[0], after[1], limit
    )


async def has_trigram(conn) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')"
    )


async def select_similar_trgm(conn, course_id: int, title: str, staff: bool, limit: int):
    return await conn.fetch(
        """SELECT id, title, kind, answered, similarity(title, $2)::float8 AS similarity
             FROM forum_threads
            WHERE course_id = $1 AND title % $2 AND NOT deleted AND ($3 OR NOT hidden)
            ORDER BY similarity DESC, id DESC LIMIT $4""",
        course_id,
        title,
        staff,
        limit,
    )


async def select_similar_fts(conn, course_id, config, title: str, staff: bool, limit: int):
    """Without pg_trgm: any title word as a prefix (while typing), ranked by full-text rank."""
    return await conn.fetch(
        """WITH q AS (
               SELECT to_tsquery($2::regconfig, string_agg(quote_literal(w) || ':*', ' | '))
                      AS query
                 FROM regexp_split_to_table(lower($3), '[^[:alnum:]]+') AS w
                WHERE length(w) > 1)
           SELECT t.id, t.title, t.kind, t.answered,
                  ts_rank(t.title_vector, q.query)::float8 AS similarity
             FROM forum_threads t CROSS JOIN q
            WHERE t.course_id = $1 AND q.query IS NOT NULL AND t.title_vector @@ q.query
              AND NOT t.deleted AND ($4 OR NOT t.hidden)
            ORDER BY similarity DESC, t.id DESC LIMIT $5""",
        course_id,
        config,
        title,
        staff,
        limit,
    )


# ---- flags and moderation -------------------------------------------------------------------


async def insert_flag(conn, course_id, post_id, thread_id, user_id, reason, note) -> bool:
    status = await conn.execute(
        """INSERT INTO forum_flags (course_id, post_id, thread_id, user_id, reason, note)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        course_id,
        post_id,
        thread_id,
        user_id,
        reason,
        note,
    )
    return status.endswith(" 1")


async def count_open_flaggers(conn, course_id: int, post_id: int) -> int:
    return await conn.fetchval(
        """SELECT count(DISTINCT user_id) FROM forum_flags
            WHERE course_id = $1 AND post_id = $2 AND status = 'open'""",
        course_id,
        post_id,
    )


async def update_flags_resolved(conn, course_id, post_id, status: str, resolved_by: int) -> int:
    result = await conn.execute(
        """UPDATE forum_flags SET status = $3, resolved_by = $4, resolved_at = now()
            WHERE course_id = $1 AND post_id = $2 AND status = 'open'""",
        course_id,
        post_id,
        status,
        resolved_by,
    )
    return int(result.split()[-1])


async def select_queue(conn, course_id: int, after_flag_id: int, limit: int):
    return await conn.fetch(
        """SELECT f.post_id, min(f.id) AS first_flag_id, min(f.created_at) AS first_flagged_at,
                  count(*) AS flag_count, array_agg(DISTINCT f.reason) AS reasons,
                  array_remove(array_agg(f.note), '') AS notes,
                  p.thread_id, t.title AS thread_title, p.author_id, p.anonymity, p.body_html,
                  p.hidden, u.name AS author_name, m.role AS author_role
             FROM forum_flags f
             JOIN forum_posts p ON p.course_id = f.course_id AND p.id = f.post_id
             JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
             JOIN users u ON u.id = p.author_id
             LEFT JOIN memberships m ON m.course_id = p.course_id AND m.user_id = p.author_id
            WHERE f.course_id = $1 AND f.status = 'open'
            GROUP BY f.post_id, p.thread_id, t.title, p.author_id, p.anonymity, p.body_html,
                     p.hidden, u.name, m.role
           HAVING min(f.id) > $2
            ORDER BY min(f.id) LIMIT $3""",
        course_id,
        after_flag_id,
        limit,
    )


async def insert_mod_action(
    conn, course_id, actor_id, action, target_kind, target_id, reason, details=None
) -> None:
    await conn.execute(
        """INSERT INTO forum_mod_actions (course_id, actor_id, action, target_kind, target_id,
                                          reason, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        course_id,
        actor_id,
        action,
        target_kind,
        target_id,
        reason,
        details or {},
    )


async def select_mod_actions(conn, course_id: int, before_id: int, limit: int):
    return await conn.fetch(
        """SELECT a.*, coalesce(u.name, 'system') AS actor_name
             FROM forum_mod_actions a LEFT JOIN users u ON u.id = a.actor_id
            WHERE a.course_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3""",
        course_id,
        before_id,
        limit,
    )


async def select_member_role(conn, course_id: int, user_id: int) -> str | None:
    return await conn.fetchval(
        "SELECT role FROM memberships WHERE course_id = $1 AND user_id = $2", course_id, user_id
    )


async def upsert_restriction(conn, course_id, user_id, kind, reason, expires_at, created_by):
    return await conn.fetchrow(
        """INSERT INTO forum_restrictions (course_id, user_id, kind, reason, expires_at,
                                           created_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (course_id, user_id, kind) DO UPDATE
              SET reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at,
                  created_by = EXCLUDED.created_by, created_at = now()
        RETURNING *""",
        course_id,
        user_id,
        kind,
        reason,
        expires_at,
        created_by,
    )


async def delete_restriction(conn, course_id: int, user_id: int, kind: str) -> bool:
    status = await conn.execute(
        "DELETE FROM forum_restrictions WHERE course_id = $1 AND user_id = $2 AND kind = $3",
        course_id,
        user_id,
        kind,
    )
    return status.endswith(" 1")


async def select_restrictions(conn, course_id: int, user_id: int | None = None):
    return await conn.fetch(
        """SELECT * FROM forum_restrictions
            WHERE course_id = $1 AND ($2::bigint IS NULL OR user_id = $2)
              AND (expires_at IS NULL OR expires_at > now())
            ORDER BY user_id, kind LIMIT 1000""",
        course_id,
        user_id,
    )


# ---- notifications --------------------------------------------------------------------------


async def insert_post_notifications(conn, course_id: int, post_id: int, mentions: list[str]) -> int:
    """Notify the parent's author, @mentioned members, and followers of a question (answers) or
    of the board/course (new threads). One notification per person per post; running twice
    changes nothing. Learners who cannot see the post yet (post-first threads) are skipped."""
    status = await conn.execute(
        """WITH p AS (
               SELECT p.*, t.kind AS thread_kind, t.board_id, t.post_first
                 FROM forum_posts p
                 JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
                WHERE p.course_id = $1 AND p.id = $2 AND NOT p.deleted AND NOT p.hidden),
           candidates AS (
               SELECT q.author_id AS user_id, 'reply' AS kind, 1 AS priority
                 FROM p JOIN forum_posts q ON q.course_id = p.course_id AND q.id = p.parent_id
                WHERE NOT q.deleted
               UNION ALL
               SELECT m.user_id, 'mention', 2
                 FROM p JOIN memberships m ON m.course_id = p.course_id
                 JOIN users u ON u.id = m.user_id
                WHERE cardinality($3::text[]) > 0  -- one-time filter: no scan without mentions
                  AND lower(replace(u.name, ' ', '')) = ANY($3::text[])
               UNION ALL
               SELECT f.user_id, 'answer', 3
                 FROM p JOIN forum_follows f ON f.course_id = p.course_id
                      AND f.target_kind = 'thread' AND f.target_id = p.thread_id
                WHERE p.parent_id IS NOT NULL AND p.thread_kind = 'question'
               UNION ALL
               SELECT f.user_id, 'new_thread', 4
                 FROM p JOIN forum_follows f ON f.course_id = p.course_id
                      AND ((f.target_kind = 'board' AND f.target_id = p.board_id)
                           OR f.target_kind = 'course')
                WHERE p.parent_id IS NULL),
           chosen AS (
               SELECT DISTINCT ON (c.user_id) c.user_id, c.kind
                 FROM candidates c CROSS JOIN p
                 JOIN memberships m ON m.course_id = p.course_id AND m.user_id = c.user_id
                WHERE c.user_id <> p.author_id
                  AND (NOT p.post_first OR m.role <> 'learner' OR EXISTS (
                        SELECT 1 FROM forum_posts mine
                         WHERE mine.course_id = p.course_id AND mine.thread_id = p.thread_id
                           AND mine.author_id = c.user_id AND mine.parent_id IS NOT NULL))
                ORDER BY c.user_id, c.priority)
           INSERT INTO forum_notifications (course_id, user_id, kind, thread_id, post_id, actor_id)
           SELECT $1, chosen.user_id, chosen.kind, p.thread_id, p.id, p.author_id
             FROM chosen CROSS JOIN p
           ON CONFLICT DO NOTHING""",
        course_id,
        post_id,
        mentions,
    )
    return int(status.split()[-1])


async def insert_notification(conn, course_id, user_id, kind, thread_id, post_id, actor_id) -> None:
    await conn.execute(
        """INSERT INTO forum_notifications (course_id, user_id, kind, thread_id, post_id, actor_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        course_id,
        user_id,
        kind,
        thread_id,
        post_id,
        actor_id,
    )


NOTIFICATION_COLUMNS = """
       n.id, n.kind, n.thread_id, n.post_id, n.actor_id, n.read_at, n.created_at,
       t.title AS thread_title, p.anonymity, u.name AS actor_name, m.role AS actor_role
  FROM forum_notifications n
  JOIN forum_threads t ON t.course_id = n.course_id AND t.id = n.thread_id
  JOIN forum_posts p ON p.course_id = n.course_id AND p.id = n.post_id
  JOIN users u ON u.id = n.actor_id
  LEFT JOIN memberships m ON m.course_id = n.course_id AND m.user_id = n.actor_id
"""


async def select_notifications(conn, course_id, user_id, *, unread_only, before_id, limit):
    return await conn.fetch(
        "SELECT"
        + NOTIFICATION_COLUMNS
        + """ WHERE n.course_id = $1 AND n.user_id = $2 AND n.id < $3
                AND (NOT $4::bool OR n.read_at IS NULL)
              ORDER BY n.id DESC LIMIT $5""",
        course_id,
        user_id,
        before_id,
        unread_only,
        limit,
    )


async def count_unread_notifications(conn, course_id: int, user_id: int) -> int:
    return await conn.fetchval(
        """SELECT count(*) FROM forum_notifications
            WHERE course_id = $1 AND user_id = $2 AND read_at IS NULL""",
        course_id,
        user_id,
    )


async def update_notifications_read(conn, course_id, user_id, ids: list[int] | None) -> int:
    status = await conn.execute(
        """UPDATE forum_notifications SET read_at = now()
            WHERE course_id = $1 AND user_id = $2 AND read_at IS NULL
              AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[]))""",
        course_id,
        user_id,
        ids,
    )
    return int(status.split()[-1])


async def select_digest_recipients(conn, limit: int):
    return await conn.fetch(
        """SELECT DISTINCT n.course_id, n.user_id
             FROM forum_notifications n
            WHERE n.emailed_at IS NULL AND n.read_at IS NULL
            LIMIT $1""",
        limit,
    )


async def select_digest_items(conn, course_id: int, user_id: int):
    return await conn.fetch(
        "SELECT"
        + NOTIFICATION_COLUMNS
        + """ WHERE n.course_id = $1 AND n.user_id = $2
                AND n.emailed_at IS NULL AND n.read_at IS NULL
              ORDER BY n.id LIMIT 50
              FOR UPDATE OF n SKIP LOCKED""",
        course_id,
        user_id,
    )


async def select_recipient(conn, course_id: int, user_id: int):
    return await conn.fetchrow(
        """SELECT u.email, u.name, m.role, c.title AS course_title
             FROM users u
             JOIN memberships m ON m.user_id = u.id AND m.course_id = $1
             JOIN courses c ON c.id = $1
            WHERE u.id = $2""",
        course_id,
        user_id,
    )


async def update_notifications_emailed(conn, course_id: int, ids: list[int]) -> None:
    await conn.execute(
        """UPDATE forum_notifications SET emailed_at = now()
            WHERE course_id = $1 AND id = ANY($2::bigint[])""",
        course_id,
        ids,
    )


# ---- staff tools ----------------------------------------------------------------------------


async def select_learner_stats(conn, course_id: int, after_user_id: int, limit: int):
    """Per-member activity. "Anonymous to all" posts are attributed to nobody."""
    return await conn.fetch(
        """SELECT m.user_id, u.name, m.role,
                  count(p.id) FILTER (WHERE p.parent_id IS NULL) AS threads,
                  count(p.id) FILTER (WHERE p.parent_id IS NOT NULL) AS replies,
                  coalesce(sum(p.score), 0)::int AS votes_received,
                  count(p.id) FILTER (WHERE p.endorsed) AS endorsed,
                  max(p.created_at) AS last_posted_at
             FROM memberships m
             JOIN users u ON u.id = m.user_id
             LEFT JOIN forum_posts p ON p.course_id = m.course_id AND p.author_id = m.user_id
                                    AND p.anonymity <> 'all' AND NOT p.deleted
            WHERE m.course_id = $1 AND m.user_id > $2
            GROUP BY m.user_id, u.name, m.role
            ORDER BY m.user_id LIMIT $3""",
        course_id,
        after_user_id,
        limit,
    )


async def select_participation(conn, course_id: int, after_post_id: int, limit: int):
    """A batch of the participation export, in post order."""
    return await conn.fetch(
        """SELECT p.id AS post_id, p.thread_id, p.parent_id, p.author_id, p.anonymity,
                  p.created_at, u.name AS author_name, u.email, m.role AS author_role,
                  b.name AS board_name, t.kind AS thread_kind
             FROM forum_posts p
             JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
             JOIN forum_boards b ON b.course_id = t.course_id AND b.id = t.board_id
             JOIN users u ON u.id = p.author_id
             LEFT JOIN memberships m ON m.course_id = p.course_id AND m.user_id = p.author_id
            WHERE p.course_id = $1 AND p.id > $2 AND NOT p.deleted AND p.anonymity <> 'all'
            ORDER BY p.id LIMIT $3""",
        course_id,
        after_post_id,
        limit,
    )


async def select_thread_ids_by_title(conn, course_id: int, title: str) -> int | None:
    return await conn.fetchval(
        "SELECT id FROM forum_threads WHERE course_id = $1 AND title = $2 ORDER BY id LIMIT 1",
        course_id,
        title,
    )
