"""The staff's grade export as CSV: streamed a keyset batch at a time, safe to open in a
spreadsheet.

Encoding: UTF-8 with a byte-order mark. Staff open this file in Excel first, and Excel reads a
CSV without a BOM in the machine's legacy code page, so 'Zoé' arrives as 'ZoÃ©'; LibreOffice,
Numbers, pandas (encoding="utf-8-sig") and Python's csv module read the BOM correctly.

Injection: every text cell goes through agora.spreadsheet (a leading apostrophe on anything a
spreadsheet would run as a formula). Numbers are written as numbers (scores are never
negative)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from agora.db import Database
from agora.sessions import Principal
from agora.spreadsheet import csv_text
from peerreview.queries import grade_export as queries
from peerreview.service.common import load_assignment, require_staff

EXPORT_BATCH = 5_000
BOM = "\ufeff"
COLUMNS = [
    "name", "email", "lti_sub", "submission_id", "final_score", "peer_estimate", "uncertainty",
    "n_reviews", "overridden", "override_reason", "released",
]  # fmt: skip


def number(value: float | None) -> str:
    return "" if value is None else repr(round(value, 4))


def export_row(r: asyncpg.Record) -> list[object]:
    return [
        r["name"],
        r["email"],
        r["sub"],
        r["submission_id"],
        number(r["final_score"]),
        number(r["estimate"]),
        number(r["confidence"]),
        r["n_reviews"],
        "yes" if r["overridden"] else "no",
        r["override_reason"],
        "yes" if r["released"] else "no",
    ]


async def check_export_allowed(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> None:
    """Checked before the streamed response starts (a 403 or 404 cannot follow a 200)."""
    require_staff(principal)
    await load_assignment(conn, principal, assignment_id)


async def grades_csv(
    database: Database, principal: Principal, assignment_id: int
) -> AsyncIterator[str]:
    """The export, one batch at a time, each on a connection held only while fetching."""
    yield BOM + csv_text([COLUMNS])
    after = 0
    while True:
        async with database.acquire() as conn:
            rows = await queries.select_export_batch(
                conn, principal.course_id, assignment_id, after_user=after, limit=EXPORT_BATCH
            )
        if not rows:
            return
        after = rows[-1]["user_id"]
        yield csv_text(export_row(r) for r in rows)
        if len(rows) < EXPORT_BATCH:
            return
