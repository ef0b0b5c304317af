"""Notifications: who a new post notifies, the inbox, and the email digest's batches."""

from __future__ import annotations

import asyncpg


async def insert_post_notifications(
    conn: asyncpg.Connection, course_id: int, post_id: int, mentions: list[str]
) -> int:
    """Notify the parent's author, @mentioned members, followers of the thread (any kind: 'answer'
    on a question, 'thread_reply' otherwise) or of the board/course (new threads), except kinds
    the member turned off. One notification per person per post, never to the post's author;
    running twice changes nothing. Learners who cannot see the post yet (post-first threads) are
    skipped."""
    status = await conn.execute(
        """WITH p AS (
               SELECT p.*, t.kind AS thread_kind, t.board_id, t.post_first, t.private_to
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
               SELECT f.user_id,
                      CASE WHEN p.thread_kind = 'question' THEN 'answer' ELSE 'thread_reply' END,
                      3
                 FROM p JOIN forum_follows f ON f.course_id = p.course_id
                      AND f.target_kind = 'thread' AND f.target_id = p.thread_id
                WHERE p.parent_id IS NOT NULL
               UNION ALL
               SELECT f.user_id, 'new_thread', 4
                 FROM p JOIN forum_follows f ON f.course_id = p.course_id
                      AND ((f.target_kind = 'board' AND f.target_id = p.board_id)
                           OR f.target_kind = 'course')
                WHERE p.parent_id IS NULL
               UNION ALL  -- a new private thread: staff, and the learner it is private to
               SELECT m.user_id, 'new_thread', 4
                 FROM p JOIN memberships m ON m.course_id = p.course_id AND m.active
                WHERE p.parent_id IS NULL AND p.private_to IS NOT NULL
                  AND (m.role <> 'learner' OR m.user_id = p.private_to)),
           chosen AS (
               SELECT DISTINCT ON (c.user_id) c.user_id, c.kind
                 FROM candidates c CROSS JOIN p
                 JOIN memberships m ON m.course_id = p.course_id AND m.user_id = c.user_id
                WHERE c.user_id <> p.author_id
                  -- rules.can_see_private: nobody else hears of a private thread
                  AND (p.private_to IS NULL OR m.role <> 'learner' OR c.user_id = p.private_to)
                  AND NOT EXISTS (  -- turned off: the next kind that applies, if any, notifies
                        SELECT 1 FROM forum_notification_prefs np
                         WHERE np.course_id = p.course_id AND np.user_id = c.user_id
                           AND np.kind = c.kind AND np.delivery = 'off')
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


# ---- announcements: a fan-out to every member, in keyset batches ----------------------------


async def insert_fanout(conn: asyncpg.Connection, course_id: int, post_id: int) -> None:
    await conn.execute(
        """INSERT INTO forum_fanouts (course_id, post_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        course_id,
        post_id,
    )


async def select_fanout_position(
    conn: asyncpg.Connection, course_id: int, post_id: int
) -> int | None:
    """The user id the next batch starts after, the row locked; None when finished or unknown."""
    position: int | None = await conn.fetchval(
        """SELECT after_user_id FROM forum_fanouts
            WHERE course_id = $1 AND post_id = $2 AND finished_at IS NULL
              FOR UPDATE""",
        course_id,
        post_id,
    )
    return position


async def insert_announcement_batch(
    conn: asyncpg.Connection, course_id: int, post_id: int, after_user_id: int, batch: int
) -> tuple[int, int | None, int]:
    """Notify up to `batch` active members after `after_user_id` (by user id) of the
    announcement, except its author and members who turned announcements off; (notified, last
    user id of the batch, members scanned). One statement; a member already notified is skipped."""
    row = await conn.fetchrow(
        """WITH batch AS (
               SELECT m.user_id FROM memberships m
                WHERE m.course_id = $1 AND m.user_id > $3 AND m.active
                ORDER BY m.user_id LIMIT $4),
           p AS (
               SELECT thread_id, author_id FROM forum_posts
                WHERE course_id = $1 AND id = $2 AND NOT deleted AND NOT hidden),
           ins AS (
               INSERT INTO forum_notifications
                      (course_id, user_id, kind, thread_id, post_id, actor_id)
               SELECT $1, b.user_id, 'announcement', p.thread_id, $2, p.author_id
                 FROM batch b CROSS JOIN p
                WHERE b.user_id <> p.author_id
                  AND NOT EXISTS (SELECT 1 FROM forum_notification_prefs np
                                   WHERE np.course_id = $1 AND np.user_id = b.user_id
                                     AND np.kind = 'announcement' AND np.delivery = 'off')
               ON CONFLICT DO NOTHING
               RETURNING 1)
           SELECT (SELECT count(*) FROM ins) AS notified,
                  (SELECT max(user_id) FROM batch) AS last_user_id,
                  (SELECT count(*) FROM batch) AS scanned""",
        course_id,
        post_id,
        after_user_id,
        batch,
    )
    assert row is not None  # an aggregate: always one row
    return int(row["notified"]), row["last_user_id"], int(row["scanned"])


async def update_fanout(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    *,
    after_user_id: int,
    notified: int,
    done: bool,
) -> None:
    await conn.execute(
        """UPDATE forum_fanouts
              SET after_user_id = $3, notified = notified + $4, batches = batches + 1,
                  finished_at = CASE WHEN $5 THEN clock_timestamp() END
            WHERE course_id = $1 AND post_id = $2""",
        course_id,
        post_id,
        after_user_id,
        notified,
        done,
    )


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
    """One notification, unless the member turned this kind off."""
    await conn.execute(
        """INSERT INTO forum_notifications (course_id, user_id, kind, thread_id, post_id, actor_id)
           SELECT $1, $2, $3, $4, $5, $6
            WHERE NOT EXISTS (SELECT 1 FROM forum_notification_prefs
                               WHERE course_id = $1 AND user_id = $2 AND kind = $3
                                 AND delivery = 'off')
           ON CONFLICT DO NOTHING""",
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
              AND NOT EXISTS (SELECT 1 FROM forum_notification_prefs np
                               WHERE np.course_id = n.course_id AND np.user_id = n.user_id
                                 AND np.kind = n.kind AND np.delivery <> 'email')
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
              AND NOT EXISTS (SELECT 1 FROM forum_notification_prefs np
                               WHERE np.course_id = n.course_id AND np.user_id = n.user_id
                                 AND np.kind = n.kind AND np.delivery <> 'email')
            ORDER BY n.id LIMIT 50
              FOR UPDATE OF n SKIP LOCKED""",
        course_id,
        user_id,
    )


async def select_recipient(
    conn: asyncpg.Connection, course_id: int, user_id: int
) -> asyncpg.Record | None:
    """email, name, locale, role, course_title, course_language and lms_url (where the course's
    forum opens in the LMS: the `lms_url` custom parameter of its newest forum resource link, ''
    if none says) of a digest's recipient; None unless an active member."""
    return await conn.fetchrow(
        """SELECT u.email, u.name, u.locale, m.role, c.title AS course_title,
                  c.language AS course_language,
                  coalesce((SELECT l.custom->>'lms_url' FROM lti_resource_links l
                             WHERE l.course_id = $1 AND l.target_kind = 'forum'
                               AND l.custom ? 'lms_url'
                             ORDER BY l.updated_at DESC LIMIT 1), '') AS lms_url
             FROM users u
             JOIN memberships m ON m.user_id = u.id AND m.course_id = $1 AND m.active
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


# ---- preferences ----------------------------------------------------------------------------


async def select_preferences(
    conn: asyncpg.Connection, course_id: int, user_id: int
) -> dict[str, str]:
    """kind -> delivery, for the kinds the member changed (the rest: the default)."""
    rows = await conn.fetch(
        """SELECT kind, delivery FROM forum_notification_prefs
            WHERE course_id = $1 AND user_id = $2""",
        course_id,
        user_id,
    )
    return {r["kind"]: r["delivery"] for r in rows}


async def upsert_preferences(
    conn: asyncpg.Connection, course_id: int, user_id: int, prefs: dict[str, str]
) -> None:
    await conn.execute(
        """INSERT INTO forum_notification_prefs (course_id, user_id, kind, delivery)
           SELECT $1, $2, k, d FROM unnest($3::text[], $4::text[]) AS x(k, d)
           ON CONFLICT (course_id, user_id, kind) DO UPDATE
              SET delivery = EXCLUDED.delivery, updated_at = now()""",
        course_id,
        user_id,
        list(prefs),
        list(prefs.values()),
    )


async def update_email_off(
    conn: asyncpg.Connection, course_id: int, user_id: int, kinds: list[str]
) -> None:
    """Unsubscribe from the digest: every kind emailed becomes in-app only (off stays off)."""
    await conn.execute(
        """INSERT INTO forum_notification_prefs (course_id, user_id, kind, delivery)
           SELECT $1, $2, k, 'in_app' FROM unnest($3::text[]) AS k
           ON CONFLICT (course_id, user_id, kind) DO UPDATE
              SET delivery = 'in_app', updated_at = now()
            WHERE forum_notification_prefs.delivery = 'email'""",
        course_id,
        user_id,
        kinds,
    )


# ---- digests sent ---------------------------------------------------------------------------


async def insert_digest(
    conn: asyncpg.Connection, course_id: int, user_id: int, ids: list[int], message_id: str
) -> int:
    """Record a digest about to be sent (with its notifications marked emailed by the caller)."""
    digest_id: int = await conn.fetchval(
        """INSERT INTO forum_email_digests (course_id, user_id, notification_ids, message_id)
           VALUES ($1, $2, $3, $4) RETURNING id""",
        course_id,
        user_id,
        ids,
        message_id,
    )
    return digest_id


async def update_digest_sent(conn: asyncpg.Connection, course_id: int, digest_id: int) -> None:
    await conn.execute(
        """UPDATE forum_email_digests SET status = 'sent', sent_at = now()
            WHERE course_id = $1 AND id = $2""",
        course_id,
        digest_id,
    )


async def update_digest_failed(
    conn: asyncpg.Connection, course_id: int, digest_id: int, error: str
) -> None:
    """The SMTP server refused or was unreachable: its notifications wait for the next run."""
    await conn.execute(
        """WITH d AS (
               UPDATE forum_email_digests SET status = 'failed', error = $3
                WHERE course_id = $1 AND id = $2 RETURNING notification_ids)
           UPDATE forum_notifications SET emailed_at = NULL
             FROM d WHERE course_id = $1 AND id = ANY(d.notification_ids)""",
        course_id,
        digest_id,
        error[:500],
    )
