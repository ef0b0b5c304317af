"""Notifications: who a new post notifies, the inbox, and the email digest's batches."""

from __future__ import annotations

import asyncpg


async def insert_post_notifications(
    conn: asyncpg.Connection, course_id: int, post_id: int, mentions: list[str]
) -> int:
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


async def insert_notification(
    conn: asyncpg.Connection,
    course_id: int,
    user_id: int,
    kind: str,
    *,
    thread_id: int,
    post_id: int,
    actor_id: int,
) -> None:
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


async def select_notifications(
    conn: asyncpg.Connection,
    course_id: int,
    user_id: int,
    *,
    unread_only: bool,
    before_id: int,
    limit: int,
) -> list[asyncpg.Record]:
    """A member's notifications, newest first."""
    return await conn.fetch(
        """SELECT n.id, n.kind, n.thread_id, n.post_id, n.actor_id, n.read_at, n.created_at,
                  t.title AS thread_title, p.anonymity, u.name AS actor_name, m.role AS actor_role
             FROM forum_notifications n
             JOIN forum_threads t ON t.course_id = n.course_id AND t.id = n.thread_id
             JOIN forum_posts p ON p.course_id = n.course_id AND p.id = n.post_id
             JOIN users u ON u.id = n.actor_id
             LEFT JOIN memberships m ON m.course_id = n.course_id AND m.user_id = n.actor_id
            WHERE n.course_id = $1 AND n.user_id = $2 AND n.id < $3
              AND (NOT $4::bool OR n.read_at IS NULL)
            ORDER BY n.id DESC LIMIT $5""",
        course_id,
        user_id,
        before_id,
        unread_only,
        limit,
    )


async def count_unread_notifications(conn: asyncpg.Connection, course_id: int, user_id: int) -> int:
    count: int = await conn.fetchval(
        """SELECT count(*) FROM forum_notifications
            WHERE course_id = $1 AND user_id = $2 AND read_at IS NULL""",
        course_id,
        user_id,
    )
    return count


async def update_notifications_read(
    conn: asyncpg.Connection, course_id: int, user_id: int, ids: list[int] | None
) -> int:
    """Mark `ids` (all when None) read; how many were unread."""
    status = await conn.execute(
        """UPDATE forum_notifications SET read_at = now()
            WHERE course_id = $1 AND user_id = $2 AND read_at IS NULL
              AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[]))""",
        course_id,
        user_id,
        ids,
    )
    return int(status.split()[-1])


async def select_digest_recipients(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """(course_id, user_id) of members with unread notifications not emailed yet, any course."""
    return await conn.fetch(
        """SELECT DISTINCT n.course_id, n.user_id
             FROM forum_notifications n
            WHERE n.emailed_at IS NULL AND n.read_at IS NULL
            LIMIT $1""",
        limit,
    )


async def select_digest_items(
    conn: asyncpg.Connection, course_id: int, user_id: int
) -> list[asyncpg.Record]:
    """The member's next digest, locked until the transaction ends (skipped if another worker
    holds it)."""
    return await conn.fetch(
        """SELECT n.id, n.kind, n.thread_id, n.post_id, n.actor_id, n.read_at, n.created_at,
                  t.title AS thread_title, p.anonymity, u.name AS actor_name, m.role AS actor_role
             FROM forum_notifications n
             JOIN forum_threads t ON t.course_id = n.course_id AND t.id = n.thread_id
             JOIN forum_posts p ON p.course_id = n.course_id AND p.id = n.post_id
             JOIN users u ON u.id = n.actor_id
             LEFT JOIN memberships m ON m.course_id = n.course_id AND m.user_id = n.actor_id
            WHERE n.course_id = $1 AND n.user_id = $2
              AND n.emailed_at IS NULL AND n.read_at IS NULL
            ORDER BY n.id LIMIT 50
              FOR UPDATE OF n SKIP LOCKED""",
        course_id,
        user_id,
    )


async def select_recipient(
    conn: asyncpg.Connection, course_id: int, user_id: int
) -> asyncpg.Record | None:
    """email, name, role and course_title of a digest's recipient."""
    return await conn.fetchrow(
        """SELECT u.email, u.name, m.role, c.title AS course_title
             FROM users u
             JOIN memberships m ON m.user_id = u.id AND m.course_id = $1
             JOIN courses c ON c.id = $1
            WHERE u.id = $2""",
        course_id,
        user_id,
    )


async def update_notifications_emailed(
    conn: asyncpg.Connection, course_id: int, ids: list[int]
) -> None:
    await conn.execute(
        """UPDATE forum_notifications SET emailed_at = now()
            WHERE course_id = $1 AND id = ANY($2::bigint[])""",
        course_id,
        ids,
    )
