"""The course (as pages show it), its forum settings and search configuration, and the viewer's
active restrictions: one round trip, which every forum call starts from."""

from __future__ import annotations

import asyncpg

from forum.queries.posts import POST_SQL, PostDetail

VIEWER_COLUMNS = """
       c.id AS course_id, c.title AS course_title, c.label AS course_label,
       c.language AS course_language, c.settings AS course_settings,
       c.settings -> 'forum' AS forum_settings,
       CASE c.language WHEN 'fr' THEN 'french' ELSE 'english' END AS search_config,
       ARRAY(SELECT kind FROM forum_restrictions r
              WHERE r.course_id = c.id AND r.user_id = $2
                AND (r.expires_at IS NULL OR r.expires_at > now())) AS restrictions"""

VIEWER_SQL = f"SELECT {VIEWER_COLUMNS}\n  FROM courses c WHERE c.id = $1"  # noqa: S608 (constant)


async def select_viewer(
    conn: asyncpg.Connection, course_id: int, user_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(VIEWER_SQL, course_id, user_id)


def _post_sql_for(post_param: str, user_param: str) -> str:
    """forum.queries.posts.POST_SQL with its post and viewer parameters renumbered (constants
    only: no value is ever formatted into SQL)."""
    return POST_SQL.replace("$2", "$P").replace("$3", user_param).replace("$P", post_param)


# The context and the post an action is about, with the post's thread row locked (the forum's
# lock order: thread before post), in one round trip. The post's own columns are read in the
# statement's snapshot, before a wait on the thread lock: only for writes whose outcome comes
# from their own UPDATE ... RETURNING (a vote's score), never to decide from a post's state.
VIEWER_POST_SQL = f"""
SELECT v.*, post.*
  FROM ({VIEWER_SQL}) v
  LEFT JOIN LATERAL ({_post_sql_for("$3", "$2")} FOR NO KEY UPDATE OF t) post ON true
"""  # noqa: S608 (constants)


async def select_viewer_and_post(
    conn: asyncpg.Connection, course_id: int, user_id: int, post_id: int
) -> tuple[asyncpg.Record | None, PostDetail | None]:
    """The viewer's context row and the post (None when there is no such post)."""
    row = await conn.fetchrow(VIEWER_POST_SQL, course_id, user_id, post_id)
    if row is None or row["id"] is None:
        return row, None
    return row, PostDetail(**{name: row[name] for name in PostDetail.__struct_fields__})
