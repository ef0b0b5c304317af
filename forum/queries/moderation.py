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


async def select_mod_actions(
    conn: asyncpg.Connection, course_id: int, *, before_id: int, limit: int
) -> list[asyncpg.Record]:
    """The audit log, newest first."""
    return await conn.fetch(
        """SELECT a.id, a.actor_id, coalesce(u.name, 'system') AS actor_name, a.action,
                  a.target_kind, a.target_id, a.reason, a.details, a.created_at
             FROM forum_mod_actions a LEFT JOIN users u ON u.id = a.actor_id
            WHERE a.course_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3""",
        course_id,
        before_id,
        limit,
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
