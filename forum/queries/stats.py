"""Per-member activity and the participation export."""

from __future__ import annotations

import asyncpg


async def select_learner_stats(
    conn: asyncpg.Connection, course_id: int, *, after_user_id: int, limit: int
) -> list[asyncpg.Record]:
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


async def select_participation(
    conn: asyncpg.Connection, course_id: int, *, after_post_id: int, limit: int
) -> list[asyncpg.Record]:
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
