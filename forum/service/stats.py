"""Staff statistics: per-member activity, and the participation export (CSV)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from agora.db import Database
from agora.pagination import decode_cursor, next_page, page_limit
from agora.sessions import Principal
from agora.spreadsheet import csv_text
from forum.presenters import export_rows_view, learner_stats_view
from forum.queries import stats as stats_sql
from forum.schemas import LearnerStatsPage
from forum.service.context import require_staff

EXPORT_BATCH = 5_000
EXPORT_COLUMNS = [
    "user_id", "name", "email", "role", "post_id", "thread_id", "type", "board", "thread_kind",
    "created_at",
]  # fmt: skip


async def learner_stats(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    cursor: str | None,
    limit: int | None,
) -> LearnerStatsPage:
    principal.require_course(course_id)
    require_staff(principal)
    limit = page_limit(limit, default=50, maximum=500)
    after = decode_cursor(cursor, (int,))
    rows = await stats_sql.select_learner_stats(
        conn, course_id, after_user_id=after[0] if after else 0, limit=limit + 1
    )
    page, next_cursor = next_page(rows, limit, lambda r: (r["user_id"],))
    return LearnerStatsPage(items=[learner_stats_view(r) for r in page], next_cursor=next_cursor)


async def check_export_allowed(
    conn: asyncpg.Connection, principal: Principal, course_id: int
) -> None:
    """Checked before the streamed response starts (a 403 cannot follow a 200)."""
    principal.require_course(course_id)
    require_staff(principal)


async def participation_csv(
    database: Database, principal: Principal, course_id: int
) -> AsyncIterator[str]:
    """The export, streamed in batches, each batch on a connection held only while fetching."""
    yield csv_text([EXPORT_COLUMNS])
    after = 0
    while True:
        async with database.acquire() as conn:
            rows = await stats_sql.select_participation(
                conn, course_id, after_post_id=after, limit=EXPORT_BATCH
            )
        if not rows:
            return
        after = rows[-1]["post_id"]
        yield csv_text(export_rows_view(principal, rows))
        if len(rows) < EXPORT_BATCH:
            return
