"""Building a participation evidence snapshot: the per-learner file, the raw log, the signature.

Both files are read in one REPEATABLE READ transaction, so they describe the same moment, and
are written gzip-compressed while their SHA-256 is taken over the CSV text itself (what a funder
downloads and checks with `sha256sum`). The signature is a JWT by Agora's current LTI signing key
over both digests, the course, the window and the counts; the public key travels with it.
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import io
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
from joserfc import jwt

from agora.evidence.sources import Column, Event, Facts, Source, Window
from agora.lti import keys
from agora.queries import evidence as evidence_queries
from agora.spreadsheet import csv_text

LEARNER_BATCH = 2_000
LOG_COLUMNS = ["at_utc", "user_id", "kind", "object_id"]
IDENTITY = [("user_id", "user_id"), ("name", "name"), ("email", "email"), ("enrolled", "enrolled")]
OVERALL = [
    ("days_active", "days active"),
    ("first_activity", "first activity (UTC)"),
    ("last_activity", "last activity (UTC)"),
]


class TooLarge(Exception):
    """The window holds more log lines than a snapshot may keep."""


class HashedGzip:
    """CSV text in, gzip bytes kept, SHA-256 of the text taken on the way."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.buffer = io.BytesIO()
        # mtime 0: the same text always compresses to the same bytes.
        self.gzip = gzip.GzipFile(fileobj=self.buffer, mode="wb", mtime=0)

    def write(self, text: str) -> None:
        data = text.encode()
        self.digest.update(data)
        self.gzip.write(data)

    def finish(self) -> tuple[bytes, str]:
        self.gzip.close()
        return self.buffer.getvalue(), self.digest.hexdigest()


def _stamp(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def learner_row(
    member: asyncpg.Record, facts: Sequence[Facts], context_columns: Sequence[Column]
) -> list[object]:
    values: dict[str, object] = {}
    days: set[object] = set()
    firsts = [f.first for f in facts if f.first]
    lasts = [f.last for f in facts if f.last]
    for part in facts:
        values.update(part.values)
        days |= part.days
    row: list[object] = [
        member["user_id"],
        member["name"],
        member["email"],
        "yes" if member["active"] else "no",
    ]
    row += [values.get(c.key, "" if c.blank else 0) for c in context_columns]
    return row + [len(days), _stamp(min(firsts, default=None)), _stamp(max(lasts, default=None))]


async def merged_events(streams: list[AsyncIterator[Event]]) -> AsyncIterator[Event]:
    """The contexts' logs, each already in order, merged into one time-ordered log."""
    heads: list[tuple[tuple[Any, ...], int, Event]] = []

    async def advance(index: int) -> None:
        event = await anext(streams[index], None)
        if event is not None:
            key = (event.at, event.kind, event.object_id, event.user_id)
            heapq.heappush(heads, (key, index, event))

    for index in range(len(streams)):
        await advance(index)
    while heads:
        _, index, event = heapq.heappop(heads)
        yield event
        await advance(index)


async def _learners_file(
    conn: asyncpg.Connection, course_id: int, window: Window, sources: list[Source]
) -> dict[str, Any]:
    context_columns = [c for source in sources for c in await source.columns(conn, course_id)]
    columns = IDENTITY + [(c.key, c.header) for c in context_columns] + OVERALL
    out = HashedGzip()
    out.write(csv_text([[header for _, header in columns]]))
    totals: dict[str, float] = {}
    learners, after = 0, 0
    while True:
        members = await evidence_queries.select_learner_batch(conn, course_id, after, LEARNER_BATCH)
        if not members:
            break
        ids = [m["user_id"] for m in members]
        found = [await source.learners(conn, course_id, ids, window) for source in sources]
        rows = [learner_row(m, [f.get(m["user_id"], Facts()) for f in found], context_columns)
                for m in members]  # fmt: skip
        for row in rows:
            for (key, _), value in zip(columns, row, strict=True):
                if key != "user_id" and isinstance(value, int | float):
                    totals[key] = totals.get(key, 0) + value
        out.write(csv_text(rows))
        learners += len(members)
        after = ids[-1]
    data, digest = out.finish()
    return {"columns": columns, "totals": totals, "learners": learners, "gz": data, "sha": digest}


async def _log_file(
    conn: asyncpg.Connection, course_id: int, window: Window, sources: list[Source], limit: int
) -> dict[str, Any]:
    out = HashedGzip()
    out.write(csv_text([LOG_COLUMNS]))
    lines: list[list[object]] = []
    count = 0
    streams = [source.events(conn, course_id, window) for source in sources]
    async for event in merged_events(streams):
        count += 1
        if count > limit:
            raise TooLarge(f"more than {limit} log lines in this window: choose a shorter one")
        lines.append([_stamp(event.at), event.user_id, event.kind, event.object_id])
        if len(lines) >= 5_000:
            out.write(csv_text(lines))
            lines = []
    out.write(csv_text(lines))
    data, digest = out.finish()
    return {"events": count, "gz": data, "sha": digest}


async def build(
    conn: asyncpg.Connection,
    export: asyncpg.Record,
    sources: list[Source],
    *,
    issuer: str,
    max_events: int,
) -> dict[str, Any]:
    """Both files and their signature, as mark_ready stores them."""
    course_id = export["course_id"]
    window = Window(export["from_at"], export["to_at"])
    # One snapshot of the database for both files (the job runs outside any transaction; a
    # caller already inside one, as tests are, keeps its own).
    fresh = not conn.is_in_transaction()
    async with conn.transaction(isolation="repeatable_read" if fresh else None, readonly=fresh):
        title = await evidence_queries.select_course_title(conn, course_id)
        people = await _learners_file(conn, course_id, window, sources)
        log = await _log_file(conn, course_id, window, sources, max_events)
    claims = {
        "iss": issuer,
        "sub": f"course:{course_id}/evidence:{export['id']}",
        "iat": int(datetime.now(UTC).timestamp()),
        "course": {"id": course_id, "title": title},
        "window": {"from": export["from_at"].isoformat(), "to": export["to_at"].isoformat()},
        "learners": people["learners"],
        "events": log["events"],
        "sha256": {"learners.csv": people["sha"], "log.csv": log["sha"]},
    }
    token = await signature_document(conn, claims)
    return {
        "learners": people["learners"],
        "events": log["events"],
        "columns": people["columns"],
        "totals": people["totals"],
        "learners_csv_gz": people["gz"],
        "log_csv_gz": log["gz"],
        "learners_sha256": people["sha"],
        "log_sha256": log["sha"],
        "signature": token,
    }


async def signature_document(conn: asyncpg.Connection, claims: dict[str, Any]) -> str:
    """signature.json: the JWT, the public key that verifies it (kept here: a rotated key leaves
    the published JWKS after its grace period, a funder may check years later), and how."""
    key = await keys.signing_key(conn)
    header = {"alg": "RS256", "kid": key.kid, "typ": "agora-evidence+jwt"}
    document = {
        "jwt": jwt.encode(header, claims, key, algorithms=["RS256"]),
        "public_key": {**key.as_dict(private=False), "kid": key.kid, "alg": "RS256"},
        "sha256": claims["sha256"],
        "check": "`sha256sum learners.csv log.csv` prints the digests in `sha256`; the JWT "
        "(RS256, verified with `public_key`) carries the same digests, the course and the window",
    }
    return msgspec.json.format(msgspec.json.encode(document), indent=2).decode()
