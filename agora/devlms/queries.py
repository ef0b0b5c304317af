"""SQL of the dev LMS (its own tables, agora/devlms/schema.sql). Bind parameters only.

The dev LMS has one course, so its tables carry the LTI context id where they need one, not an
Agora course_id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec


class Link(msgspec.Struct, frozen=True, kw_only=True):
    """A link in the course: the forum, or one the tool added by deep linking."""

    id: int
    title: str
    custom: dict[str, Any]
    line_item: dict[str, Any] | None


class LineItem(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    label: str
    score_maximum: float
    resource_id: str
    resource_link_id: str
    tag: str


class GradebookEntry(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    user_sub: str
    score_given: float | None
    score_maximum: float | None
    score_timestamp: datetime


class Result(msgspec.Struct, frozen=True, kw_only=True):
    user_sub: str
    score_given: float | None
    score_maximum: float | None
    comment: str


class Score(msgspec.Struct, frozen=True, kw_only=True):
    """A score as the tool posts it (AGS Score), already checked."""

    user_sub: str
    score_given: float | None
    score_maximum: float | None
    comment: str
    activity_progress: str
    grading_progress: str
    timestamp: datetime


# ---- links ------------------------------------------------------------------------------------


async def select_links(conn: asyncpg.Connection, *, limit: int = 200) -> list[Link]:
    rows = await conn.fetch(
        "SELECT id, title, custom, line_item FROM devlms_links ORDER BY id LIMIT $1", limit
    )
    return [Link(**dict(r)) for r in rows]


async def select_link(conn: asyncpg.Connection, link_id: int) -> Link | None:
    row = await conn.fetchrow(
        "SELECT id, title, custom, line_item FROM devlms_links WHERE id = $1", link_id
    )
    return Link(**dict(row)) if row else None


async def insert_link(
    conn: asyncpg.Connection,
    *,
    title: str,
    custom: dict[str, Any],
    line_item: dict[str, Any] | None,
) -> None:
    await conn.execute(
        "INSERT INTO devlms_links (title, custom, line_item) VALUES ($1, $2, $3)",
        title,
        custom,
        line_item,
    )


# ---- line items and scores (AGS) --------------------------------------------------------------


async def select_lineitems(
    conn: asyncpg.Connection, context_id: str, *, resource_id: str | None, limit: int = 100
) -> list[LineItem]:
    rows = await conn.fetch(
        """SELECT id, label, score_maximum, resource_id, resource_link_id, tag
             FROM devlms_lineitems
            WHERE context_id = $1 AND ($2::text IS NULL OR resource_id = $2)
            ORDER BY id LIMIT $3""",
        context_id,
        resource_id,
        limit,
    )
    return [LineItem(**dict(r)) for r in rows]


async def insert_lineitem(
    conn: asyncpg.Connection,
    context_id: str,
    *,
    label: str,
    score_maximum: float,
    resource_id: str,
    resource_link_id: str,
    tag: str,
) -> LineItem:
    row = await conn.fetchrow(
        """INSERT INTO devlms_lineitems (context_id, label, score_maximum, resource_id,
                   resource_link_id, tag)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, label, score_maximum, resource_id, resource_link_id, tag""",
        context_id,
        label,
        score_maximum,
        resource_id,
        resource_link_id,
        tag,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    return LineItem(**dict(row))


async def lineitem_exists(conn: asyncpg.Connection, lineitem_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM devlms_lineitems WHERE id = $1)", lineitem_id
        )
    )


async def upsert_score(conn: asyncpg.Connection, lineitem_id: int, score: Score) -> bool:
    """Keep the newest score per (line item, person), as platforms do. False when nothing was
    written: no such line item, or a score with a later timestamp is already there."""
    status = await conn.execute(
        """INSERT INTO devlms_scores AS s (lineitem_id, user_sub, score_given, score_maximum,
                   comment, activity_progress, grading_progress, score_timestamp)
           SELECT id, $2, $3, $4, $5, $6, $7, $8 FROM devlms_lineitems WHERE id = $1
           ON CONFLICT (lineitem_id, user_sub) DO UPDATE
              SET score_given = EXCLUDED.score_given, score_maximum = EXCLUDED.score_maximum,
                  comment = EXCLUDED.comment, activity_progress = EXCLUDED.activity_progress,
                  grading_progress = EXCLUDED.grading_progress,
                  score_timestamp = EXCLUDED.score_timestamp
            WHERE EXCLUDED.score_timestamp > s.score_timestamp""",
        lineitem_id,
        score.user_sub,
        score.score_given,
        score.score_maximum,
        score.comment,
        score.activity_progress,
        score.grading_progress,
        score.timestamp,
    )
    return status != "INSERT 0 0"


async def select_results(conn: asyncpg.Connection, lineitem_id: int) -> list[Result]:
    rows = await conn.fetch(
        """SELECT user_sub, score_given, score_maximum, comment FROM devlms_scores
            WHERE lineitem_id = $1 ORDER BY user_sub""",
        lineitem_id,
    )
    return [Result(**dict(r)) for r in rows]


async def select_gradebook(conn: asyncpg.Connection, *, limit: int = 500) -> list[GradebookEntry]:
    rows = await conn.fetch(
        """SELECT l.label, s.user_sub, s.score_given, s.score_maximum, s.score_timestamp
             FROM devlms_scores s JOIN devlms_lineitems l ON l.id = s.lineitem_id
            ORDER BY l.id, s.user_sub LIMIT $1""",
        limit,
    )
    return [GradebookEntry(**dict(r)) for r in rows]
