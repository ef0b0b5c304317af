"""Participation evidence (issue 12.9): staff ask for a window, the worker builds a signed
snapshot, staff download its files and print its summary.

Staff only (instructors and teaching assistants): the files name every learner. A course keeps
at most MAX_PENDING snapshots waiting at once and a window is at most MAX_DAYS long, so one
person cannot queue unbounded work.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg

from agora import outbox
from agora.db import Database
from agora.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from agora.evidence.build import TooLarge, build
from agora.evidence.sources import Source
from agora.queries import evidence as evidence_queries
from agora.schemas import Input, Output
from agora.sessions import Principal

MAX_DAYS = 731
MAX_PENDING = 3
RECENT = 20
JOB = "agora_build_evidence"
FILES = {"learners.csv": "learners_csv_gz", "log.csv": "log_csv_gz"}


class EvidenceRequest(Input):
    # Timestamps with a zone (2026-09-01T00:00:00Z); the window is [from_at, to_at).
    from_at: datetime
    to_at: datetime


class EvidenceExport(Output):
    id: int
    status: str
    from_at: datetime
    to_at: datetime
    requested_by: str
    created_at: datetime
    built_at: datetime | None = None
    error: str = ""
    learners: int = 0
    events: int = 0
    learners_sha256: str = ""
    log_sha256: str = ""
    columns: list[tuple[str, str]] = []
    totals: dict[str, float] = {}


class EvidenceList(Output):
    items: list[EvidenceExport]


def require_staff(principal: Principal, course_id: int) -> None:
    principal.require_course(course_id)
    if not principal.is_staff:
        raise Forbidden("only instructors and teaching assistants can see participation evidence")


def export_view(row: asyncpg.Record) -> EvidenceExport:
    return EvidenceExport(
        id=row["id"], status=row["status"], from_at=row["from_at"], to_at=row["to_at"],
        requested_by=row["requested_by_name"] or "", created_at=row["created_at"],
        built_at=row["built_at"], error=row["error"], learners=row["learners"],
        events=row["events"], learners_sha256=row["learners_sha256"],
        log_sha256=row["log_sha256"], columns=[tuple(c) for c in row["columns"]],
        totals=row["totals"],
    )  # fmt: skip


def check_window(data: EvidenceRequest) -> None:
    if data.from_at.tzinfo is None or data.to_at.tzinfo is None:
        raise BadRequest("give both times with a time zone (e.g. 2026-09-01T00:00:00Z)")
    if data.to_at <= data.from_at:
        raise Unprocessable("the window must end after it starts")
    if data.to_at - data.from_at > timedelta(days=MAX_DAYS):
        raise Unprocessable(f"a window is at most {MAX_DAYS} days long")
    if data.from_at > datetime.now(UTC):
        raise Unprocessable("the window starts in the future: there is nothing to show yet")


async def request_export(
    conn: asyncpg.Connection, principal: Principal, course_id: int, data: EvidenceRequest
) -> EvidenceExport:
    require_staff(principal, course_id)
    check_window(data)
    async with conn.transaction():
        # One waiting snapshot at a time per course decides the count below (no race past it).
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('evidence'), $1::int)", course_id)
        if await evidence_queries.count_pending(conn, course_id) >= MAX_PENDING:
            raise Conflict(f"{MAX_PENDING} snapshots are already being built: wait for them")
        row = await evidence_queries.insert_export(
            conn, course_id, principal.user_id, data.from_at, data.to_at
        )
        await outbox.enqueue(conn, JOB, course_id, row["id"], course_id=course_id)
    return export_view(row)


async def list_exports(
    conn: asyncpg.Connection, principal: Principal, course_id: int
) -> EvidenceList:
    require_staff(principal, course_id)
    rows = await evidence_queries.select_recent(conn, course_id, RECENT)
    return EvidenceList(items=[export_view(r) for r in rows])


async def get_export(
    conn: asyncpg.Connection, principal: Principal, course_id: int, export_id: int
) -> EvidenceExport:
    require_staff(principal, course_id)
    row = await evidence_queries.select_export(conn, course_id, export_id)
    if row is None:
        raise NotFound("no such evidence snapshot")
    return export_view(row)


async def signature_document(
    conn: asyncpg.Connection, principal: Principal, course_id: int, export_id: int
) -> str:
    """signature.json, as stored when the snapshot was built (see build.signature_document)."""
    export = await get_export(conn, principal, course_id, export_id)
    row = await evidence_queries.select_export(conn, course_id, export_id)
    if export.status != "ready" or row is None:
        raise Conflict("this snapshot is not ready")
    return str(row["signature"])


async def check_file(
    conn: asyncpg.Connection, principal: Principal, course_id: int, export_id: int, name: str
) -> None:
    """Checked before a download starts streaming (a 404 cannot follow a 200)."""
    if name not in FILES:
        raise NotFound("no such file")
    export = await get_export(conn, principal, course_id, export_id)
    if export.status != "ready":
        raise Conflict("this snapshot is not ready")


async def file_chunks(
    database: Database, course_id: int, export_id: int, name: str
) -> AsyncIterator[bytes]:
    """The stored file, decompressed in chunks (the text whose SHA-256 was signed)."""
    async with database.acquire() as conn:
        data = await evidence_queries.select_file(conn, course_id, export_id, FILES[name])
    if data is None:
        return
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    for start in range(0, len(data), 64 * 1024):
        chunk = inflate.decompress(data[start : start + 64 * 1024])
        if chunk:
            yield chunk
    rest = inflate.flush()
    if rest:
        yield rest


async def build_export(
    conn: asyncpg.Connection,
    course_id: int,
    export_id: int,
    sources: list[Source],
    *,
    issuer: str,
    max_events: int,
) -> str:
    """The job's work; a second run of a built snapshot does nothing."""
    export = await evidence_queries.select_export(conn, course_id, export_id)
    if export is None or export["status"] != "pending":
        return "done already"
    try:
        result = await build(conn, export, sources, issuer=issuer, max_events=max_events)
    except TooLarge as error:
        await evidence_queries.mark_failed(conn, course_id, export_id, str(error))
        return "too large"
    await evidence_queries.mark_ready(conn, course_id, export_id, result)
    return "built"


FOUND_MAX = 20


async def find_learners(
    conn: asyncpg.Connection, course_id: int, export_id: int, query: str
) -> list[list[str]]:
    """Rows of the stored learners file whose user id is `query` or whose name or email contains
    it (case-insensitive), at most FOUND_MAX: read from the signed file, so the printed row is
    the row a funder holds. The caller checked the principal (get_export)."""
    data = await evidence_queries.select_file(conn, course_id, export_id, "learners_csv_gz")
    if data is None:
        return []
    needle = query.casefold()
    text = io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(data)), encoding="utf-8", newline="")
    reader = csv.reader(text)
    next(reader, None)
    found = []
    for row in reader:
        if row[0] == query or needle in row[1].casefold() or needle in row[2].casefold():
            found.append(row)
            if len(found) == FOUND_MAX:
                break
    return found
