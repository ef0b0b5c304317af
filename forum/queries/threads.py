"""Threads: typed rows, the keyset list (pinned first), the thread page head, counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec


class ThreadRow(msgspec.Struct, kw_only=True):
    """A forum_threads row, as every rule and view reads it."""

    id: int
    board_id: int
    author_id: int
    kind: str
    anonymity: str
    title: str
    pinned: bool
    locked: bool
    closed: bool
    state_reason: str
    hidden: bool
    deleted: bool
    post_first: bool
    duplicate_of: int | None
    answered: bool
    reply_count: int
    score: int
    open_flags: int
    post_seq: int
    last_seq: int
    last_activity_at: datetime
    created_at: datetime
    private_to: int | None  # seen by staff and this learner only (None: the whole course)
    announcement: bool


class ThreadSummaryRow(ThreadRow, kw_only=True):
    """A thread with its author and the viewer's follow and unread count."""

    author_name: str
    author_role: str | None
    following: bool
    unread_count: int


class ThreadListRow(ThreadSummaryRow, kw_only=True):
    sort_value: datetime | int  # the sort column's value, for the next page's cursor


class ThreadHead(ThreadSummaryRow, kw_only=True):
    """The thread page's head: the thread, the course's settings and the viewer's standing."""

    forum_settings: Any  # courses.settings -> 'forum', decoded JSON (or None)
    # The course as the page's layout shows it (agora.queries.courses.CourseView).
    course_title: str
    course_label: str
    course_language: str
    course_settings: dict[str, Any]
    read_seq: int
    restrictions: list[str]
    has_replied: bool


THREAD_SQL = """
SELECT id, board_id, author_id, kind, anonymity, title, pinned, locked, closed, state_reason,
       hidden, deleted, post_first, duplicate_of, answered, reply_count, score, open_flags,
       post_seq, last_seq, last_activity_at, created_at, private_to, announcement
  FROM forum_threads WHERE course_id = $1 AND id = $2
"""
# Every forum write locks its thread's row first, then post rows (one lock order: no deadlock).
# NO KEY UPDATE: it serialises the thread's writers but not the foreign-key checks of rows that
# only point at the thread (read positions, follows, flags).
THREAD_FOR_UPDATE_SQL = """
SELECT id, board_id, author_id, kind, anonymity, title, pinned, locked, closed, state_reason,
       hidden, deleted, post_first, duplicate_of, answered, reply_count, score, open_flags,
       post_seq, last_seq, last_activity_at, created_at, private_to, announcement
  FROM forum_threads WHERE course_id = $1 AND id = $2
   FOR NO KEY UPDATE
"""


async def select_thread(
    conn: asyncpg.Connection, course_id: int, thread_id: int, *, for_update: bool = False
) -> ThreadRow | None:
    row = await conn.fetchrow(
        THREAD_FOR_UPDATE_SQL if for_update else THREAD_SQL, course_id, thread_id
    )
    return None if row is None else ThreadRow(**row)


async def lock_thread_of_post(conn: asyncpg.Connection, course_id: int, post_id: int) -> None:
    """Lock the thread row of `post_id` (as select_thread(for_update=True) does), before any
    post row of it: the forum's one lock order."""
    await conn.execute(
        """SELECT 1 FROM forum_threads t
            WHERE t.course_id = $1
              AND t.id = (SELECT p.thread_id FROM forum_posts p
                           WHERE p.course_id = $1 AND p.id = $2)
              FOR NO KEY UPDATE""",
        course_id,
        post_id,
    )


# The thread, its author, the course and its settings, and everything about the viewer the page
# needs (read position, follow, restrictions, whether they replied): one query.
THREAD_PAGE_SQL = """
SELECT t.id, t.board_id, t.author_id, t.kind, t.anonymity, t.title, t.pinned, t.locked, t.closed,
       t.state_reason, t.hidden, t.deleted, t.post_first, t.duplicate_of, t.answered,
       t.reply_count, t.score, t.open_flags, t.post_seq, t.last_seq, t.last_activity_at,
       t.created_at, t.private_to, t.announcement, u.name AS author_name, m.role AS author_role,
       c.settings -> 'forum' AS forum_settings, c.title AS course_title,
       c.label AS course_label, c.language AS course_language, c.settings AS course_settings,
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


async def select_thread_page_head(
    conn: asyncpg.Connection, course_id: int, thread_id: int, user_id: int
) -> ThreadHead | None:
    row = await conn.fetchrow(THREAD_PAGE_SQL, course_id, thread_id, user_id)
    return None if row is None else ThreadHead(**row)


async def select_learner_name(conn: asyncpg.Connection, course_id: int, user_id: int) -> str | None:
    """The name of a learner of the course (None for staff, strangers, former members)."""
    name: str | None = await conn.fetchval(
        """SELECT u.name FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 AND m.user_id = $2 AND m.role = 'learner' AND m.active""",
        course_id,
        user_id,
    )
    return name


async def select_thread_id_by_title(
    conn: asyncpg.Connection, course_id: int, title: str
) -> int | None:
    thread_id: int | None = await conn.fetchval(
        "SELECT id FROM forum_threads WHERE course_id = $1 AND title = $2 ORDER BY id LIMIT 1",
        course_id,
        title,
    )
    return thread_id


async def insert_thread(
    conn: asyncpg.Connection,
    course_id: int,
    *,
    board_id: int,
    author_id: int,
    kind: str,
    anonymity: str,
    title: str,
    search_config: str,
    post_first: bool,
    private_to: int | None = None,
    announcement: bool = False,
    locked: bool = False,
) -> int:
    """A new thread whose opening post will take sequence number 1 (announcements are pinned)."""
    thread_id: int = await conn.fetchval(
        """INSERT INTO forum_threads (course_id, board_id, author_id, kind, anonymity, title,
                                      search_config, post_first, post_seq, last_seq,
                                      private_to, announcement, pinned, locked)
           VALUES ($1, $2, $3, $4, $5, $6, $7::regconfig, $8, 1, 1, $9, $10, $10, $11)
           RETURNING id""",
        course_id,
        board_id,
        author_id,
        kind,
        anonymity,
        title,
        search_config,
        post_first,
        private_to,
        announcement,
        locked,
    )
    return thread_id


async def update_thread_public(
    conn: asyncpg.Connection, course_id: int, thread_id: int, *, anonymity: str | None
) -> int | None:
    """Make a private thread public; with `anonymity`, the posts of the learner it was private
    to take it (and the thread, if theirs). The learner's id, or None if it was not private."""
    learner: int | None = await conn.fetchval(
        """WITH t AS (
               SELECT private_to FROM forum_threads
                WHERE course_id = $1 AND id = $2 AND private_to IS NOT NULL
                  FOR NO KEY UPDATE),
           u AS (
               UPDATE forum_threads th
                  SET private_to = NULL,
                      anonymity = CASE WHEN $3::text IS NOT NULL AND th.author_id = t.private_to
                                       THEN $3 ELSE th.anonymity END
                 FROM t WHERE th.course_id = $1 AND th.id = $2),
           p AS (
               UPDATE forum_posts p SET anonymity = $3
                 FROM t WHERE $3::text IS NOT NULL AND p.course_id = $1 AND p.thread_id = $2
                  AND p.author_id = t.private_to AND p.anonymity = 'none')
           SELECT private_to FROM t""",
        course_id,
        thread_id,
        anonymity,
    )
    return learner


async def update_thread_for_reply(conn: asyncpg.Connection, course_id: int, thread_id: int) -> int:
    """Hand out the next sequence number and bump the counters, in the writing transaction."""
    seq: int = await conn.fetchval(
        """UPDATE forum_threads
              SET post_seq = post_seq + 1, last_seq = post_seq + 1,
                  reply_count = reply_count + 1, last_activity_at = clock_timestamp()
            WHERE course_id = $1 AND id = $2
        RETURNING post_seq""",
        course_id,
        thread_id,
    )
    return seq


async def update_thread_recount(conn: asyncpg.Connection, course_id: int, thread_id: int) -> None:
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


# One statement per settable column: the column name is never taken from a caller's string.
UPDATE_FIELD_SQL = {
    "pinned": "UPDATE forum_threads SET pinned = $3 WHERE course_id = $1 AND id = $2",
    "locked": "UPDATE forum_threads SET locked = $3 WHERE course_id = $1 AND id = $2",
    "closed": "UPDATE forum_threads SET closed = $3 WHERE course_id = $1 AND id = $2",
    "hidden": "UPDATE forum_threads SET hidden = $3 WHERE course_id = $1 AND id = $2",
    "deleted": "UPDATE forum_threads SET deleted = $3 WHERE course_id = $1 AND id = $2",
    "state_reason": "UPDATE forum_threads SET state_reason = $3 WHERE course_id = $1 AND id = $2",
    "board_id": "UPDATE forum_threads SET board_id = $3 WHERE course_id = $1 AND id = $2",
    "duplicate_of": "UPDATE forum_threads SET duplicate_of = $3 WHERE course_id = $1 AND id = $2",
    "title": "UPDATE forum_threads SET title = $3 WHERE course_id = $1 AND id = $2",
    "score": "UPDATE forum_threads SET score = $3 WHERE course_id = $1 AND id = $2",
}


async def update_thread_fields(
    conn: asyncpg.Connection, course_id: int, thread_id: int, **fields: object
) -> None:
    """Set moderation fields; the names must be keys of UPDATE_FIELD_SQL (KeyError otherwise)."""
    for name, value in fields.items():
        await conn.execute(UPDATE_FIELD_SQL[name], course_id, thread_id, value)


# ---- the thread list ------------------------------------------------------------------------

_LIST_TEMPLATE = """
SELECT t.id, t.board_id, t.author_id, t.kind, t.anonymity, t.title, t.pinned, t.locked,
       t.closed, t.state_reason, t.hidden, t.deleted, t.post_first, t.duplicate_of, t.answered,
       t.reply_count, t.score, t.open_flags, t.post_seq, t.last_seq, t.last_activity_at,
       t.created_at, t.private_to, t.announcement, u.name AS author_name, m.role AS author_role,
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
   AND ($3::bool OR t.private_to IS NULL OR t.private_to = $2)  -- rules.can_see_private
   AND ($4::bigint IS NULL OR t.board_id = $4)
   AND ($5::text IS NULL OR t.kind = $5)
   AND (NOT $6::bool OR t.last_seq > coalesce(r.read_seq, 0))
   AND (NOT $7::bool OR (t.kind = 'question' AND NOT t.answered AND NOT t.closed))
   AND (NOT $8::bool OR t.reply_count = 0)
   AND (NOT $9::bool OR f.user_id IS NOT NULL)
   AND (NOT $10::bool OR t.author_id = $2)
   AND (NOT $11::bool OR t.open_flags > 0)
   AND (NOT $16::bool OR t.private_to IS NOT NULL)
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
UNREAD_CAP = 200  # keep in step with the LIMIT in _LIST_TEMPLATE


def sort_is_timestamp(sort: str) -> bool:
    """Whether the sort's cursor value is a timestamp (else an integer)."""
    return SORTS[sort][1] == "timestamptz"


async def select_threads(
    conn: asyncpg.Connection,
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
    after: tuple[bool, datetime | int, int],
    limit: int,
    private: bool = False,
) -> list[ThreadListRow]:
    """A page of the list after `after` = (pinned, sort value, id): pinned threads come first,
    then the sort column descending; each filter is off unless its flag is true."""
    rows = await conn.fetch(
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
        private,
    )
    return [ThreadListRow(**row) for row in rows]
