"""Follows: of a thread, a board, or the whole course (target_id 0)."""

from __future__ import annotations

import asyncpg


async def insert_follow(
    conn: asyncpg.Connection, course_id: int, user_id: int, kind: str, target_id: int
) -> None:
    await conn.execute(
        """INSERT INTO forum_follows (course_id, user_id, target_kind, target_id)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        course_id,
        user_id,
        kind,
        target_id,
    )


async def delete_follow(
    conn: asyncpg.Connection, course_id: int, user_id: int, kind: str, target_id: int
) -> None:
    await conn.execute(
        """DELETE FROM forum_follows
            WHERE course_id = $1 AND user_id = $2 AND target_kind = $3 AND target_id = $4""",
        course_id,
        user_id,
        kind,
        target_id,
    )
