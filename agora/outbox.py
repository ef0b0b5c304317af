"""Transactional outbox: side effects written with the change, relayed to arq by the worker.

`enqueue` is called inside the transaction that makes the change, so a job exists if and only if
the change committed. The relay moves pending rows to arq with `_job_id = outbox-<id>`: if it
crashes between enqueueing and marking a row, the next pass enqueues it again and arq drops the
duplicate, so each row becomes exactly one job. With Redis down the rows simply wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from arq.connections import ArqRedis
from redis.exceptions import RedisError

from agora.db import Database
from agora.queries import outbox as outbox_queries

log = logging.getLogger("agora.outbox")
CHANNEL = "agora_outbox"


async def enqueue(
    connection: asyncpg.Connection, job: str, *args: object, course_id: int | None = None
) -> int:
    """Record a job to run once the current transaction commits."""
    outbox_id = await outbox_queries.insert_job(connection, job, list(args), course_id=course_id)
    await outbox_queries.notify(connection, CHANNEL)
    return outbox_id


def job_id(outbox_id: int) -> str:
    return f"outbox-{outbox_id}"


async def relay_pending(database: Database, redis: ArqRedis, *, batch: int = 500) -> int:
    """Relay up to `batch` pending rows; returns how many. Raises RedisError if Redis is down.

    On failure the rows stay pending (their attempt count and error are recorded); rows already
    enqueued before the failure are sent again next time and arq drops them as duplicates.
    """
    failure: Exception | None = None
    async with database.acquire() as connection:
        async with connection.transaction():
            rows = await outbox_queries.select_pending_for_relay(connection, limit=batch)
            if not rows:
                return 0
            ids = [row.id for row in rows]
            try:
                for row in rows:
                    await redis.enqueue_job(row.job, *row.args, _job_id=job_id(row.id))
            except (RedisError, OSError) as error:
                failure = error
                await outbox_queries.update_relay_failed(
                    connection, ids, error=f"{type(error).__name__}: {error}"[:500]
                )
            else:
                await outbox_queries.update_relayed(connection, ids)
    if failure is not None:
        raise failure
    return len(rows)


async def count_pending(connection: asyncpg.Connection) -> int:
    return await outbox_queries.count_pending(connection)


async def delete_relayed(connection: asyncpg.Connection, *, older_than_days: int = 7) -> int:
    return await outbox_queries.delete_relayed(connection, older_than_days=older_than_days)


class OutboxRelay:
    """Runs in the worker: relays on every NOTIFY and at least every `interval` seconds."""

    def __init__(
        self, database: Database, redis: ArqRedis, *, listen_url: str = "", interval: float = 1.0
    ) -> None:
        self.database = database
        self.listen_url = listen_url
        self.redis = redis
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        listener = await self._listen()
        backoff = self.interval
        try:
            while True:
                try:
                    while await relay_pending(self.database, self.redis):
                        pass
                    backoff = self.interval
                except (RedisError, OSError) as error:
                    log.warning("outbox relay: Redis unavailable (%s); retrying", error)
                    backoff = min(backoff * 2, 30.0)
                except asyncpg.PostgresError as error:
                    log.warning("outbox relay: PostgreSQL error (%s); retrying", error)
                    backoff = min(backoff * 2, 30.0)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=backoff)
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        if not self.listen_url:
            return None
        try:
            connection = await asyncpg.connect(self.listen_url)
            await connection.add_listener(CHANNEL, lambda *_: self._wake.set())
            return connection
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("outbox relay: LISTEN unavailable (%s); polling only", error)
            return None
