"""Graded boards: the rule, staff scores, and each learner's count of qualifying posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

_RULE = """g.board_id, g.mode, g.points, g.min_threads, g.min_replies, g.opens_at, g.closes_at,
           g.updated_at, b.name AS board_name"""

# What counts: the learner's own posts in the board's threads, written inside the window, not
# deleted, not hidden by moderation, and not anonymous to everyone (nobody, staff included, may
# tie those to their author, so no grade may either).
_COUNTS = """
    SELECT p.author_id AS user_id,
           count(*) FILTER (WHERE p.parent_id IS NULL) AS threads,
           count(*) FILTER (WHERE p.parent_id IS NOT NULL) AS replies
      FROM forum_threads t
      JOIN forum_posts p ON p.course_id = t.course_id AND p.thread_id = t.id
     WHERE t.course_id = $1 AND t.board_id = $2 AND NOT t.deleted
       AND NOT p.deleted AND NOT p.hidden AND p.anonymity <> 'all'
       AND ($3::timestamptz IS NULL OR p.created_at >= $3)
       AND ($4::timestamptz IS NULL OR p.created_at < $4)"""


async def select_rule(
    conn: asyncpg.Connection, course_id: int, board_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {_RULE} FROM forum_board_grading g
              JOIN forum_boards b ON b.course_id = g.course_id AND b.id = g.board_id
             WHERE g.course_id = $1 AND g.board_id = $2""",  # noqa: S608 (constant)
        course_id,
        board_id,
    )


async def select_graded_points(conn: asyncpg.Connection, course_id: int) -> dict[int, float]:
    rows = await conn.fetch(
        "SELECT board_id, points FROM forum_board_grading WHERE course_id = $1", course_id
    )
    return {row["board_id"]: row["points"] for row in rows}


async def upsert_rule(
    conn: asyncpg.Connection, course_id: int, board_id: int, user_id: int, rule: dict[str, Any]
) -> None:
    await conn.execute(
        """INSERT INTO forum_board_grading (course_id, board_id, mode, points, min_threads,
                                            min_replies, opens_at, closes_at, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (course_id, board_id) DO UPDATE
              SET mode = EXCLUDED.mode, points = EXCLUDED.points,
                  min_threads = EXCLUDED.min_threads, min_replies = EXCLUDED.min_replies,
                  opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at,
                  updated_by = EXCLUDED.updated_by, updated_at = now()""",
        course_id, board_id, rule["mode"], rule["points"], rule["min_threads"],
        rule["min_replies"], rule["opens_at"], rule["closes_at"], user_id,
    )  # fmt: skip


async def delete_rule(conn: asyncpg.Connection, course_id: int, board_id: int) -> bool:
    status = await conn.execute(
        "DELETE FROM forum_board_grading WHERE course_id = $1 AND board_id = $2",
        course_id,
        board_id,
    )
    return str(status).endswith(" 1")


async def select_counts(
    conn: asyncpg.Connection,
    course_id: int,
    board_id: int,
    opens_at: datetime | None,
    closes_at: datetime | None,
    user_id: int,
) -> asyncpg.Record | None:
    """One learner's qualifying threads and replies."""
    return await conn.fetchrow(
        _COUNTS + " AND p.author_id = $5 GROUP BY p.author_id",
        course_id, board_id, opens_at, closes_at, user_id,
    )  # fmt: skip


async def select_count_scores(
    conn: asyncpg.Connection,
    course_id: int,
    rule: asyncpg.Record,
    *,
    everyone: bool,
    now: datetime,
    resource_id: str,
) -> asyncpg.Record:
    """Every learner's score under a 'count' rule, as parallel arrays (users, scores, times), in
    one statement: points × (min(threads, N) + min(replies, M)) / (N + M). With `everyone`,
    learners who wrote nothing get 0; without, only those who wrote something are listed.

    A score the LMS was already given keeps the timestamp it was given with, so the AGS
    recording (agora.lti.ags, which resends a newer timestamp) sends only scores that changed;
    a changed one is stamped `now`."""
    row = await conn.fetchrow(
        f"""WITH counts AS ({_COUNTS} GROUP BY p.author_id),
                 learners AS (
                     SELECT m.user_id,
                            round(($5 * (least(coalesce(c.threads, 0), $6)
                                         + least(coalesce(c.replies, 0), $7))::float8
                                   / ($6 + $7))::numeric, 2)::float8 AS score
                       FROM memberships m
                       LEFT JOIN counts c ON c.user_id = m.user_id
                      WHERE m.course_id = $1 AND m.role = 'learner' AND m.active
                        AND ($8 OR c.user_id IS NOT NULL)),
                 stamped AS (
                     SELECT l.user_id, l.score,
                            CASE WHEN s.score_given = l.score THEN s.score_timestamp
                                 ELSE $9 END AS at
                       FROM learners l
                       LEFT JOIN lti_score_passbacks s
                              ON s.course_id = $1 AND s.resource_id = $10
                             AND s.user_id = l.user_id)
            SELECT coalesce(array_agg(user_id ORDER BY user_id), '{{}}') AS users,
                   coalesce(array_agg(score ORDER BY user_id), '{{}}') AS scores,
                   coalesce(array_agg(at ORDER BY user_id), '{{}}') AS times
              FROM stamped""",  # noqa: S608 (constants)
        course_id, rule["board_id"], rule["opens_at"], rule["closes_at"], rule["points"],
        rule["min_threads"], rule["min_replies"], everyone, now, resource_id,
    )  # fmt: skip
    assert row is not None  # an aggregate always answers one row
    return row


async def select_staff_scores(
    conn: asyncpg.Connection, course_id: int, board_id: int
) -> asyncpg.Record:
    """Scores staff gave, as parallel arrays (users, scores, times)."""
    row = await conn.fetchrow(
        """SELECT coalesce(array_agg(user_id ORDER BY user_id), '{}') AS users,
                  coalesce(array_agg(score ORDER BY user_id), '{}') AS scores,
                  coalesce(array_agg(graded_at ORDER BY user_id), '{}') AS times
             FROM forum_board_scores WHERE course_id = $1 AND board_id = $2""",
        course_id,
        board_id,
    )
    assert row is not None
    return row


async def upsert_staff_score(
    conn: asyncpg.Connection, course_id: int, board_id: int, user_id: int, *,
    score: float, comment: str, graded_by: int,
) -> datetime:  # fmt: skip
    graded_at: datetime = await conn.fetchval(
        """INSERT INTO forum_board_scores (course_id, board_id, user_id, score, comment, graded_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (course_id, board_id, user_id) DO UPDATE
              SET score = EXCLUDED.score, comment = EXCLUDED.comment,
                  graded_by = EXCLUDED.graded_by, graded_at = clock_timestamp()
           RETURNING graded_at""",
        course_id, board_id, user_id, score, comment, graded_by,
    )  # fmt: skip
    return graded_at


async def select_learner_page(
    conn: asyncpg.Connection,
    course_id: int,
    board_id: int,
    rule: asyncpg.Record,
    *,
    after_user_id: int,
    limit: int,
    name_prefix: str | None,
) -> list[asyncpg.Record]:
    """Learners with their qualifying counts and staff score, by user id, for the staff page.
    `name_prefix` is a LIKE pattern (agora.names.like_prefix) on name or email."""
    return await conn.fetch(
        f"""WITH counts AS ({_COUNTS} GROUP BY p.author_id)
            SELECT m.user_id, u.name, u.email, coalesce(c.threads, 0) AS threads,
                   coalesce(c.replies, 0) AS replies, s.score, s.comment
              FROM memberships m
              JOIN users u ON u.id = m.user_id
              LEFT JOIN counts c ON c.user_id = m.user_id
              LEFT JOIN forum_board_scores s
                     ON s.course_id = m.course_id AND s.board_id = $2 AND s.user_id = m.user_id
             WHERE m.course_id = $1 AND m.role = 'learner' AND m.active AND m.user_id > $5
               AND ($7::text IS NULL OR lower(u.name) LIKE $7 OR lower(u.email) LIKE $7)
             ORDER BY m.user_id LIMIT $6""",  # noqa: S608 (constants)
        course_id, board_id, rule["opens_at"], rule["closes_at"], after_user_id, limit,
        name_prefix,
    )  # fmt: skip


async def select_open_count_boards(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every 'count' board whose window is open or closed within the last day (the sweep keeps
    their gradebook column current and sends the final scores once the window closes)."""
    return await conn.fetch(
        """SELECT course_id, board_id FROM forum_board_grading
            WHERE mode = 'count' AND (opens_at IS NULL OR opens_at <= now())
              AND (closes_at IS NULL OR closes_at > now() - interval '1 day')"""
    )


async def select_learner(
    conn: asyncpg.Connection, course_id: int, user_id: int
) -> asyncpg.Record | None:
    """The learner's name and email, if they are a learner in the course (None otherwise)."""
    return await conn.fetchrow(
        """SELECT u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 AND m.user_id = $2 AND m.role = 'learner'""",
        course_id,
        user_id,
    )


async def select_staff_score(
    conn: asyncpg.Connection, course_id: int, board_id: int, user_id: int
) -> float | None:
    """The score staff gave the learner on the board (None: not yet)."""
    score: float | None = await conn.fetchval(
        """SELECT score FROM forum_board_scores
            WHERE course_id = $1 AND board_id = $2 AND user_id = $3""",
        course_id,
        board_id,
        user_id,
    )
    return score
