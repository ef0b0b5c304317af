"""The course's forum settings: `courses.settings -> 'forum'` (other keys of the course's
settings belong to others and are left alone)."""

from __future__ import annotations

from typing import Any

import asyncpg


async def select_forum_settings_for_update(
    conn: asyncpg.Connection, course_id: int
) -> tuple[bool, Any]:
    """(course exists, its stored forum settings or None), the course row locked so two
    instructors' changes apply one after the other."""
    row = await conn.fetchrow(
        "SELECT settings -> 'forum' AS forum FROM courses WHERE id = $1 FOR UPDATE", course_id
    )
    return (row is not None, row["forum"] if row is not None else None)


async def update_forum_settings(
    conn: asyncpg.Connection, course_id: int, changes: dict[str, Any]
) -> None:
    """Merge `changes` into the stored forum settings (keys not named keep their values)."""
    await conn.execute(
        """UPDATE courses
              SET settings = jsonb_set(
                      settings, '{forum}',
                      CASE jsonb_typeof(settings -> 'forum')
                           WHEN 'object' THEN settings -> 'forum' ELSE '{}' END || $2::jsonb)
            WHERE id = $1""",
        course_id,
        changes,
    )
