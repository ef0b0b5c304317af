"""The course's forum settings, search configuration and the viewer's active restrictions."""

from __future__ import annotations

import asyncpg

# One round trip; every forum call starts from it.
VIEWER_SQL = """
SELECT c.settings -> 'forum' AS forum_settings,
       CASE c.language WHEN 'fr' THEN 'french' ELSE 'english' END AS search_config,
       ARRAY(SELECT kind FROM forum_restrictions r
              WHERE r.course_id = c.id AND r.user_id = $2
                AND (r.expires_at IS NULL OR r.expires_at > now())) AS restrictions
  FROM courses c WHERE c.id = $1
"""


async def select_viewer(
    conn: asyncpg.Connection, course_id: int, user_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(VIEWER_SQL, course_id, user_id)
