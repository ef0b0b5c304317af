"""Posts: typed rows, one page of a thread's tree, one post with its thread, edits, revisions."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec


class PostRow(msgspec.Struct, kw_only=True):
    """A post as a thread page shows it: with its author and whether the viewer voted."""

    id: int
    thread_id: int
    parent_id: int | None
    seq: int
    path: str
    depth: int
    author_id: int
    anonymity: str
    body: str
    body_html: str
    score: int
    reply_count: int
    endorsed: bool
    accepted: bool
    deleted: bool
    hidden: bool
    hidden_reason: str
    edited_at: datetime | None
    created_at: datetime
    author_name: str
    author_role: str | None
    voted: bool
    # The parent's author (replies only), for "in reply to NAME" under a flattened reply; shown
    # only through the anonymity rule (forum.presenters).
    parent_author_id: int | None = None
    parent_author_name: str | None = None
    parent_anonymity: str | None = None


class ThreadRef(msgspec.Struct, kw_only=True):
    """What the rules need to know about a post's thread."""

    id: int
    author_id: int
    kind: str
    title: str
    locked: bool
    closed: bool
    post_first: bool
    hidden: bool
    deleted: bool
    private_to: int | None = None


class PostDetail(PostRow, kw_only=True):
    """One post on its own (an action on it, or its refresh), with its thread's facts."""

    title: str | None
    thread_author_id: int
    thread_kind: str
    thread_title: str
    thread_locked: bool
    thread_closed: bool
    thread_post_first: bool
    thread_hidden: bool
    thread_deleted: bool
    thread_pinned: bool
    thread_private_to: int | None
    viewer_replied: bool  # in a post-first thread: the viewer has a (not deleted) reply in it

    @property
    def thread(self) -> ThreadRef:
        return ThreadRef(
            id=self.thread_id,
            author_id=self.thread_author_id,
            kind=self.thread_kind,
            title=self.thread_title,
            locked=self.thread_locked,
            closed=self.thread_closed,
            post_first=self.thread_post_first,
            hidden=self.thread_hidden,
            deleted=self.thread_deleted,
            private_to=self.thread_private_to,
        )


# One page of a thread's tree: one range scan of (course_id, thread_id, path), with the viewer's
# votes and each reply's parent author (a primary-key lookup) joined in.
_POSTS_COLUMNS = """
SELECT p.id, p.thread_id, p.parent_id, p.seq, p.path, p.depth, p.author_id, p.anonymity,
       p.body, p.body_html, p.score, p.reply_count, p.endorsed, p.accepted, p.deleted,
       p.hidden, p.hidden_reason, p.edited_at, p.created_at,
       u.name AS author_name, m.role AS author_role, (v.user_id IS NOT NULL) AS voted,
       pp.author_id AS parent_author_id, pu.name AS parent_author_name,
       pp.anonymity AS parent_anonymity
  FROM forum_posts p
  JOIN users u ON u.id = p.author_id
  LEFT JOIN memberships m ON m.course_id = p.course_id AND m.user_id = p.author_id
  LEFT JOIN forum_votes v ON v.course_id = p.course_id AND v.post_id = p.id AND v.user_id = $4
  LEFT JOIN forum_posts pp ON pp.course_id = p.course_id AND pp.id = p.parent_id
  LEFT JOIN users pu ON pu.id = pp.author_id
"""
POSTS_PAGE_SQL = (
    _POSTS_COLUMNS
    + """ WHERE p.course_id = $1 AND p.thread_id = $2 AND p.path > $3
   AND ($5::bool OR p.parent_id IS NULL OR p.author_id = $4)
 ORDER BY p.path
 LIMIT $6
"""
)


async def select_posts_page(
    conn: asyncpg.Connection,
    course_id: int,
    thread_id: int,
    user_id: int,
    *,
    after_path: str,
    all_replies: bool,
    limit: int,
) -> list[PostRow]:
    """Posts in tree order after `after_path`; without `all_replies`, only the opening post and
    the viewer's own replies (a post-first thread before the viewer has replied)."""
    rows = await conn.fetch(
        POSTS_PAGE_SQL, course_id, thread_id, after_path, user_id, all_replies, limit
    )
    return [PostRow(**row) for row in rows]


# A question's accepted and staff-endorsed answers, wherever they are in the tree (the thread
# page shows them first): accepted before endorsed, then in tree order.
ANSWER_POSTS_SQL = (
    _POSTS_COLUMNS
    + """ WHERE p.course_id = $1 AND p.thread_id = $2 AND p.parent_id IS NOT NULL
   AND (p.accepted OR p.endorsed) AND NOT p.deleted AND NOT p.hidden
 ORDER BY p.accepted DESC, p.path
 LIMIT $3
"""
)


async def select_answer_posts(
    conn: asyncpg.Connection, course_id: int, thread_id: int, user_id: int, *, limit: int
) -> list[PostRow]:
    """The accepted and endorsed replies of a thread (visible ones only), accepted first."""
    rows = await conn.fetch(ANSWER_POSTS_SQL, course_id, thread_id, limit, user_id)
    return [PostRow(**row) for row in rows]


POST_SQL = """
SELECT p.id, p.thread_id, p.parent_id, p.seq, p.path, p.depth, p.author_id, p.anonymity,
       p.title, p.body, p.body_html, p.score, p.reply_count, p.endorsed, p.accepted, p.deleted,
       p.hidden, p.hidden_reason, p.edited_at, p.created_at,
       u.name AS author_name, m.role AS author_role,
       EXISTS (SELECT 1 FROM forum_votes v WHERE v.course_id = p.course_id
                  AND v.post_id = p.id AND v.user_id = $3) AS voted,
       t.author_id AS thread_author_id, t.kind AS thread_kind, t.title AS thread_title,
       t.locked AS thread_locked, t.closed AS thread_closed, t.post_first AS thread_post_first,
       t.hidden AS thread_hidden, t.deleted AS thread_deleted, t.pinned AS thread_pinned,
       t.private_to AS thread_private_to,
       (t.post_first AND EXISTS (
            SELECT 1 FROM forum_posts q
             WHERE q.course_id = t.course_id AND q.author_id = $3 AND q.thread_id = t.id
               AND q.parent_id IS NOT NULL AND NOT q.deleted)) AS viewer_replied,
       pp.author_id AS parent_author_id, pu.name AS parent_author_name,
       pp.anonymity AS parent_anonymity
  FROM forum_posts p
  JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
  JOIN users u ON u.id = p.author_id
  LEFT JOIN memberships m ON m.course_id = p.course_id AND m.user_id = p.author_id
  LEFT JOIN forum_posts pp ON pp.course_id = p.course_id AND pp.id = p.parent_id
  LEFT JOIN users pu ON pu.id = pp.author_id
 WHERE p.course_id = $1 AND p.id = $2
"""


async def select_post(
    conn: asyncpg.Connection, course_id: int, post_id: int, user_id: int = 0
) -> PostDetail | None:
    """The post, its thread's facts, and whether `user_id` voted for it (and, in a post-first
    thread, replied to it)."""
    row = await conn.fetchrow(POST_SQL, course_id, post_id, user_id)
    return None if row is None else PostDetail(**row)


async def select_post_author(
    conn: asyncpg.Connection, course_id: int, post_id: int
) -> asyncpg.Record | None:
    """author_id and thread_id of a post."""
    return await conn.fetchrow(
        "SELECT author_id, thread_id FROM forum_posts WHERE course_id = $1 AND id = $2",
        course_id,
        post_id,
    )


async def select_root_post_id(
    conn: asyncpg.Connection, course_id: int, thread_id: int
) -> int | None:
    post_id: int | None = await conn.fetchval(
        "SELECT id FROM forum_posts WHERE course_id = $1 AND thread_id = $2 AND parent_id IS NULL",
        course_id,
        thread_id,
    )
    return post_id


async def insert_post(
    conn: asyncpg.Connection,
    course_id: int,
    thread_id: int,
    *,
    parent_id: int | None,
    seq: int,
    path: str,
    depth: int,
    author_id: int,
    anonymity: str,
    title: str | None,
    body: str,
    body_html: str,
    search_config: str,
) -> int:
    """The new post's id."""
    post_id: int = await conn.fetchval(
        """INSERT INTO forum_posts (course_id, thread_id, parent_id, seq, path, depth, author_id,
                                    anonymity, title, body, body_html, search_config)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::regconfig)
        RETURNING id""",
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
    return post_id


# A reply's rows in one statement, under a parent that must be in the thread and allow one more
# level: the thread's next sequence number and counters, the post (its path extends its parent's
# by the sequence number in 8+ hex digits), the parent's reply count, the author's follow of the
# thread and their read position (their own post is never unread: if they had seen everything
# before it, $10 being the thread's last visible seq before it, they still have). Nothing is
# written when the parent is missing or too deep; the parent's depth comes back either way, so
# the caller can say which. The caller holds the thread's row lock (thread before post).
INSERT_REPLY_SQL = """
WITH parent AS (
    SELECT id, path, depth, author_id, anonymity FROM forum_posts
     WHERE course_id = $1 AND thread_id = $2
       AND CASE WHEN $3::bigint IS NULL THEN parent_id IS NULL ELSE id = $3 END),
thread AS (
    UPDATE forum_threads
       SET post_seq = post_seq + 1, last_seq = post_seq + 1,
           reply_count = reply_count + 1, last_activity_at = clock_timestamp()
     WHERE course_id = $1 AND id = $2 AND (SELECT depth FROM parent) < $10
    RETURNING post_seq AS seq),
post AS (
    INSERT INTO forum_posts (course_id, thread_id, parent_id, seq, path, depth, author_id,
                             anonymity, title, body, body_html, search_config)
    SELECT $1, $2, parent.id, thread.seq,
           parent.path || CASE WHEN length(to_hex(thread.seq)) < 8
                               THEN lpad(to_hex(thread.seq), 8, '0') ELSE to_hex(thread.seq) END,
           parent.depth + 1, $4, $5, NULL, $6, $7, $8::regconfig
      FROM parent, thread
    RETURNING id, parent_id, seq, path, depth, created_at),
counted AS (
    UPDATE forum_posts SET reply_count = reply_count + 1
     WHERE course_id = $1 AND id = (SELECT parent_id FROM post)),
followed AS (
    INSERT INTO forum_follows (course_id, user_id, target_kind, target_id)
    SELECT $1, $4, 'thread', $2 FROM post
    ON CONFLICT DO NOTHING),
seen AS (
    INSERT INTO forum_reads (course_id, user_id, thread_id, read_seq)
    SELECT $1, $4, $2, CASE WHEN $9 = 0 THEN post.seq ELSE 0 END FROM post
    ON CONFLICT (course_id, user_id, thread_id) DO UPDATE
       SET read_seq = CASE WHEN forum_reads.read_seq >= $9 THEN (SELECT seq FROM post)
                           ELSE forum_reads.read_seq END,
           read_at = now())
SELECT parent.depth AS parent_depth, post.*,
       (SELECT name FROM users WHERE id = $4) AS author_name,
       (SELECT role FROM memberships WHERE course_id = $1 AND user_id = $4) AS author_role,
       parent.author_id AS parent_author_id, parent.anonymity AS parent_anonymity,
       (SELECT name FROM users WHERE id = parent.author_id) AS parent_author_name
  FROM parent LEFT JOIN post ON true
"""


async def insert_reply(
    conn: asyncpg.Connection,
    course_id: int,
    thread_id: int,
    *,
    parent_id: int | None,
    author_id: int,
    anonymity: str,
    body: str,
    body_html: str,
    search_config: str,
    prev_last: int,
    max_depth: int,
) -> asyncpg.Record | None:
    """The reply's rows (see INSERT_REPLY_SQL): None if there is no such parent in the thread;
    else the parent's depth and, if it was written, the new post (`id` NULL when too deep)."""
    return await conn.fetchrow(
        INSERT_REPLY_SQL, course_id, thread_id, parent_id, author_id, anonymity, body,
        body_html, search_config, prev_last, max_depth,
    )  # fmt: skip


async def update_parent_reply_count(
    conn: asyncpg.Connection, course_id: int, parent_id: int, delta: int
) -> None:
    await conn.execute(
        """UPDATE forum_posts SET reply_count = greatest(reply_count + $3, 0)
            WHERE course_id = $1 AND id = $2""",
        course_id,
        parent_id,
        delta,
    )


async def update_post_body(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    *,
    body: str,
    body_html: str,
    title: str | None,
) -> None:
    """New body (and title, unless None), stamped as edited at this moment (clock time, not the
    transaction's start: the stamp is the post's version, which live edit events go by)."""
    await conn.execute(
        """UPDATE forum_posts
              SET body = $3, body_html = $4, title = coalesce($5, title),
                  edited_at = clock_timestamp()
            WHERE course_id = $1 AND id = $2""",
        course_id,
        post_id,
        body,
        body_html,
        title,
    )


async def update_post_flags(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    *,
    deleted: bool | None = None,
    hidden: bool | None = None,
    hidden_reason: str | None = None,
) -> None:
    """Set the flags given (None leaves a flag as it is)."""
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


async def insert_revision(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    *,
    editor_id: int,
    reason: str,
    reason_code: str,
    title: str | None,
    body: str,
) -> None:
    """Keep the text an edit replaces."""
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


async def select_revisions(
    conn: asyncpg.Connection, course_id: int, post_id: int, *, after_id: int, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT r.id, r.editor_id, r.reason, r.reason_code, r.title, r.body, r.created_at,
                  u.name AS editor_name, m.role AS editor_role
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
