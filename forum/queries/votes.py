"""Votes and their score counters; the accepted answer and staff endorsements."""

from __future__ import annotations

import asyncpg

# A vote and its counters in one statement: the vote row (added, or taken back), then, only if
# that changed anything, the post's score and, for an opening post, its thread's. The thread row
# must already be locked by the caller (the forum's lock order: thread before post).
SET_VOTE_SQL = """
WITH added AS (
    INSERT INTO forum_votes (course_id, post_id, user_id, value)
    SELECT $1, $2, $3, 1 WHERE $4::bool
    ON CONFLICT DO NOTHING
    RETURNING 1),
removed AS (
    DELETE FROM forum_votes
     WHERE NOT $4::bool AND course_id = $1 AND post_id = $2 AND user_id = $3
    RETURNING 1),
post AS (
    UPDATE forum_posts SET score = score + CASE WHEN $4::bool THEN 1 ELSE -1 END
     WHERE course_id = $1 AND id = $2
       AND EXISTS (SELECT 1 FROM added UNION ALL SELECT 1 FROM removed)
    RETURNING score, parent_id, thread_id),
thread AS (
    UPDATE forum_threads t SET score = post.score FROM post
     WHERE post.parent_id IS NULL AND t.course_id = $1 AND t.id = post.thread_id)
SELECT score FROM post
"""


async def set_vote(
    conn: asyncpg.Connection, course_id: int, post_id: int, user_id: int, *, up: bool
) -> int | None:
    """Vote (`up`) or take the vote back; the post's new score, None if nothing changed."""
    score: int | None = await conn.fetchval(SET_VOTE_SQL, course_id, post_id, user_id, up)
    return score


async def update_post_accepted(
    conn: asyncpg.Connection, course_id: int, thread_id: int, post_id: int | None
) -> None:
    """At most one accepted answer per thread: set it on post_id, clear it everywhere else."""
    await conn.execute(
        """UPDATE forum_posts SET accepted = coalesce(id = $3, false)
            WHERE course_id = $1 AND thread_id = $2 AND (accepted OR id = $3)""",
        course_id,
        thread_id,
        post_id,
    )


async def update_post_endorsed(
    conn: asyncpg.Connection, course_id: int, post_id: int, *, endorsed: bool, by: int | None
) -> None:
    await conn.execute(
        "UPDATE forum_posts SET endorsed = $3, endorsed_by = $4 WHERE course_id = $1 AND id = $2",
        course_id,
        post_id,
        endorsed,
        by,
    )
