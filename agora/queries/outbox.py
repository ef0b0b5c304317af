"""The outbox table: jobs written in the transaction of the change they follow, claimed and
marked by the relay (agora.outbox). A global table: rows carry their course_id when they have
one, and the relay takes them in id order whatever their course."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec


class PendingJob(msgspec.Struct, frozen=True, kw_only=True):
    """An arq job waiting to be relayed: its function name and arguments."""

    id: int
    job: str
    args: list[Any]


async def insert_job(
    conn: asyncpg.Connection,
    job: str,
    args: list[Any],
    *,
    course_id: int | None,
    notify_channel: str | None = None,
) -> int:
    """The job's row; with `notify_channel`, the relay's wake-up in the same statement (one
    round trip fewer on every write that emits)."""
    if notify_channel is None:
        sql = "INSERT INTO outbox (course_id, job, args) VALUES ($1, $2, $3) RETURNING id"
        outbox_id: int = await conn.fetchval(sql, course_id, job, args)
        return outbox_id
    outbox_id = await conn.fetchval(
        """WITH job AS (INSERT INTO outbox (course_id, job, args) VALUES ($1, $2, $3) RETURNING id)
           SELECT job.id FROM job, pg_notify($4, '')""",
        course_id,
        job,
        args,
        notify_channel,
    )
    return outbox_id


async def notify(conn: asyncpg.Connection, channel: str) -> None:
    """Wake the relay's LISTEN on `channel` (delivered when the transaction commits)."""
    await conn.execute("SELECT pg_notify($1, '')", channel)


async def select_pending_for_relay(conn: asyncpg.Connection, *, limit: int) -> list[PendingJob]:
    """Claim up to `limit` pending rows, oldest first, locked until the transaction ends; rows
    another relay holds are skipped (SKIP LOCKED), so two relays never send the same row."""
    rows = await conn.fetch(
        """SELECT id, job, args FROM outbox
            WHERE relayed_at IS NULL ORDER BY id LIMIT $1
            FOR UPDATE SKIP LOCKED""",
        limit,
    )
    return [PendingJob(**dict(r)) for r in rows]


async def update_relayed(conn: asyncpg.Connection, ids: list[int]) -> None:
    await conn.execute(
        """UPDATE outbox SET relayed_at = now(), attempts = attempts + 1, last_error = NULL
            WHERE id = ANY($1::bigint[])""",
        ids,
    )


async def update_relay_failed(conn: asyncpg.Connection, ids: list[int], *, error: str) -> None:
    """The rows stay pending; their attempt count and last error are recorded."""
    await conn.execute(
        """UPDATE outbox SET attempts = attempts + 1, last_error = $2
            WHERE id = ANY($1::bigint[])""",
        ids,
        error,
    )


async def count_pending(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE relayed_at IS NULL")
    return count


async def delete_relayed(conn: asyncpg.Connection, *, older_than_days: int) -> int:
    """How many rows relayed more than `older_than_days` ago were deleted."""
    status = await conn.execute(
        "DELETE FROM outbox WHERE relayed_at < now() - make_interval(days => $1)", older_than_days
    )
    return int(status.split()[-1])
