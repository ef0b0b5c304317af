"""Flags, the moderation queue, the audit log of moderator actions, mutes and bans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def insert_flag(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    *,
    thread_id: int,
    user_id: int,
    reason: str,
    note: str,
) -> bool:
    """True if this member had no open flag on the post yet."""
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


async def count_open_flaggers(conn: asyncpg.Connection, course_id: int, post_id: int) -> int:
    count: int = await conn.fetchval(
        """SELECT count(DISTINCT user_id) FROM forum_flags
            WHERE course_id = $1 AND post_id = $2 AND status = 'open'""",
        course_id,
        post_id,
    )
    return count


async def update_flags_resolved(
    conn: asyncpg.Connection, course_id: int, post_id: int, *, status: str, resolved_by: int
) -> int:
    """Close the post's open flags with `status`; how many were open."""
    result = await conn.execute(
        """UPDATE forum_flags SET status = $3, resolved_by = $4, resolved_at = now()
            WHERE course_id = $1 AND post_id = $2 AND status = 'open'""",
        course_id,
        post_id,
        status,
        resolved_by,
    )
    return int(result.split()[-1])


async def select_queue(
    conn: asyncpg.Connection, course_id: int, *, after_flag_id: int, limit: int
) -> list[asyncpg.Record]:
    """Flagged posts, one row each, in the order they were first flagged."""
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
    conn: asyncpg.Connection,
    course_id: int,
    actor_id: int,
    action: str,
    *,
    target_kind: str,
    target_id: int,
    reason: str,
    details: dict[str, Any] | None = None,
) -> None:
    """One line of the audit log (actor 0: the system, e.g. auto-hide)."""
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


async def select_member_role(conn: asyncpg.Connection, course_id: int, user_id: int) -> str | None:
    role: str | None = await conn.fetchval(
        "SELECT role FROM memberships WHERE course_id = $1 AND user_id = $2", course_id, user_id
    )
    return role


async def upsert_restriction(
    conn: asyncpg.Connection,
    course_id: int,
    user_id: int,
    kind: str,
    *,
    reason: str,
    expires_at: datetime | None,
    created_by: int,
) -> asyncpg.Record:
    """Mute or ban a member (again: the new reason and expiry replace the old)."""
    row = await conn.fetchrow(
        """INSERT INTO forum_restrictions (course_id, user_id, kind, reason, expires_at,
                                           created_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (course_id, user_id, kind) DO UPDATE
              SET reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at,
                  created_by = EXCLUDED.created_by, created_at = now()
        RETURNING user_id, kind, reason, expires_at, created_by, created_at""",
        course_id,
        user_id,
        kind,
        reason,
        expires_at,
        created_by,
    )
    assert row is not None  # INSERT ... RETURNING always returns the row
    return row


async def delete_restriction(
    conn: asyncpg.Connection, course_id: int, user_id: int, kind: str
) -> bool:
    """True if there was such a restriction."""
    status = await conn.execute(
        "DELETE FROM forum_restrictions WHERE course_id = $1 AND user_id = $2 AND kind = $3",
        course_id,
        user_id,
        kind,
    )
    return status.endswith(" 1")


async def select_restrictions(
    conn: asyncpg.Connection, course_id: int, user_id: int | None = None
) -> list[asyncpg.Record]:
    """Restrictions in force (of one member, or of everyone when user_id is None)."""
    return await conn.fetch(
        """SELECT user_id, kind, reason, expires_at, created_by, created_at
             FROM forum_restrictions
            WHERE course_id = $1 AND ($2::bigint IS NULL OR user_id = $2)
              AND (expires_at IS NULL OR expires_at > now())
            ORDER BY user_id, kind LIMIT 1000""",
        course_id,
        user_id,
    )


async def select_member_ids_by_name(
    conn: asyncpg.Connection, course_id: int, pattern: str, *, limit: int
) -> list[int]:
    """Members of the course whose name, family name or email matches `pattern` (an
    agora.names.like_prefix, served by migration 0009's indexes on users)."""
    rows = await conn.fetch(
        """SELECT u.id FROM users u
             JOIN memberships m ON m.course_id = $1 AND m.user_id = u.id
            WHERE lower(u.name) LIKE $2 OR lower(u.family_name) LIKE $2
               OR lower(u.email) LIKE $2
            ORDER BY u.id LIMIT $3""",
        course_id,
        pattern,
        limit,
    )
    return [r["id"] for r in rows]


async def select_mod_log(
    conn: asyncpg.Connection,
    course_id: int,
    *,
    before_id: int,
    limit: int,
    action: str | None = None,
    actor_id: int | None = None,
    target_user_ids: list[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[asyncpg.Record]:
    """The audit log, newest first, filtered, with the member each action was about: the
    restricted user, or the author of the post or thread, unless anonymous to all (that author
    is nobody's to see, staff included, so such actions never match a learner filter)."""
    return await conn.fetch(
        """SELECT a.id, a.actor_id, coalesce(u.name, 'system') AS actor_name, a.action,
                  a.target_kind, a.target_id, a.reason, a.details, a.created_at,
                  t.user_id AS target_user_id, coalesce(tu.name, '') AS target_user_name,
                  t.thread_id
             FROM forum_mod_actions a
             LEFT JOIN users u ON u.id = a.actor_id
             LEFT JOIN LATERAL (
                  SELECT a.target_id AS user_id, NULL::bigint AS thread_id
                   WHERE a.target_kind = 'user'
                  UNION ALL
                  SELECT CASE WHEN p.anonymity <> 'all' THEN p.author_id END, p.thread_id
                    FROM forum_posts p
                   WHERE a.target_kind = 'post' AND p.course_id = a.course_id
                     AND p.id = a.target_id
                  UNION ALL
                  SELECT CASE WHEN th.anonymity <> 'all' THEN th.author_id END, th.id
                    FROM forum_threads th
                   WHERE a.target_kind = 'thread' AND th.course_id = a.course_id
                     AND th.id = a.target_id
             ) t ON true
             LEFT JOIN users tu ON tu.id = t.user_id
            WHERE a.course_id = $1 AND a.id < $2
              AND ($4::text IS NULL OR a.action = $4)
              AND ($5::bigint IS NULL OR a.actor_id = $5)
              AND ($6::bigint[] IS NULL OR t.user_id = ANY($6::bigint[]))
              AND ($7::timestamptz IS NULL OR a.created_at >= $7)
              AND ($8::timestamptz IS NULL OR a.created_at < $8)
            ORDER BY a.id DESC LIMIT $3""",
        course_id,
        before_id,
        limit,
        action,
        actor_id,
        target_user_ids,
        since,
        until,
    )


async def select_moderators(conn: asyncpg.Connection, course_id: int) -> list[asyncpg.Record]:
    """Who can appear as a moderator in the log: the course's instructors and TAs."""
    return await conn.fetch(
        """SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 AND m.role IN ('instructor', 'ta')
            ORDER BY u.name, u.id LIMIT 500""",
        course_id,
    )


async def select_last_hiding_action(
    conn: asyncpg.Connection, course_id: int, post_id: int
) -> asyncpg.Record | None:
    """The newest audit line that hid, restored or confirmed the hiding of a post (served by
    forum_mod_actions_target)."""
    return await conn.fetchrow(
        """SELECT action, actor_id FROM forum_mod_actions
            WHERE course_id = $1 AND target_kind = 'post' AND target_id = $2
              AND action IN ('post_hide', 'post_restore', 'flags_hidden')
            ORDER BY id DESC LIMIT 1""",
        course_id,
        post_id,
    )
