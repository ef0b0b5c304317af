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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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
    return await outbox_queries.insert_job(
        connection, job, list(args), course_id=course_id, notify_channel=CHANNEL
    )


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


HEALTH_FILE = Path(tempfile.gettempdir()) / "agora-worker.health"
# The relay touches HEALTH_FILE on every pass, and a pass comes at least every MAX_BACKOFF seconds
# (plus a relay's own time), so a file older than this means the relay is dead or stuck.
HEALTH_MAX_AGE = 120.0
MAX_BACKOFF = 30.0
# A LISTEN connection is checked with a query this often, so a half-open one is noticed too.
LISTEN_CHECK_SECONDS = 30.0


def relay_alive(path: Path | None = None, *, max_age: float = HEALTH_MAX_AGE) -> bool:
    """Whether a relay in this container touched `path` in the last `max_age` seconds."""
    try:
        age = time.time() - (path or HEALTH_FILE).stat().st_mtime
    except OSError:
        return False
    return age < max_age


def probe() -> int:
    """Exit status of the worker's health probe (compose healthcheck, Kubernetes livenessProbe)."""
    return 0 if relay_alive() else 1


class OutboxRelay:
    """Runs in the worker: relays on every NOTIFY and at least every `interval` seconds.

    Nothing but cancellation stops it: any error is logged and the next pass comes after a
    backoff that doubles up to `max_backoff`. The LISTEN connection is reopened when it dies
    (PostgreSQL restarted, backend terminated); until then polling alone keeps relaying. Each
    pass touches `health_path`, which `relay_alive` checks; if the task ends anyway (not by
    `stop`), the file is removed and `on_exit` is called so the worker can exit and be restarted.
    """

    def __init__(
        self,
        database: Database,
        redis: ArqRedis,
        *,
        listen_url: str = "",
        interval: float = 1.0,
        max_backoff: float = MAX_BACKOFF,
        health_path: Path | None = None,
        on_exit: Callable[[], object] | None = None,
    ) -> None:
        self.database = database
        self.listen_url = listen_url
        self.redis = redis
        self.interval = interval
        self.max_backoff = max_backoff
        self.health_path = health_path
        self.on_exit = on_exit
        self.listener: asyncpg.Connection | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_listen = 0.0
        self._listen_backoff = interval
        self._listen_checked = 0.0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")
        self._task.add_done_callback(self._ended)

    async def stop(self) -> None:
        self._stopping = True
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self.health_path is not None:
            with contextlib.suppress(OSError):
                self.health_path.unlink()
        if self._stopping:
            return
        error = None if task.cancelled() else task.exception()
        log.critical("outbox relay stopped unexpectedly (%r)", error or "cancelled")
        if self.on_exit is not None:
            self.on_exit()

    def _beat(self) -> None:
        if self.health_path is not None:
            try:
                self.health_path.touch()
            except OSError as error:
                log.warning("outbox relay: cannot touch %s (%s)", self.health_path, error)

    async def _run(self) -> None:
        backoff = self.interval
        try:
            while True:
                self._beat()
                await self._keep_listening()
                self._wake.clear()
                try:
                    while await relay_pending(self.database, self.redis):
                        self._beat()
                except Exception as error:  # whatever fails, the relay goes on
                    log.warning(
                        "outbox relay: %s: %s; retrying in %.0f s",
                        type(error).__name__,
                        error,
                        backoff,
                    )
                    # A failing pass waits out its backoff: NOTIFYs must not turn it into a spin.
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                backoff = self.interval
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
        finally:
            await self._close_listener()

    async def _keep_listening(self) -> None:
        """Open the LISTEN connection if it is missing or dead (at most once per backoff)."""
        if not self.listen_url:
            return
        now = asyncio.get_running_loop().time()
        if self.listener is not None and not self.listener.is_closed():
            if now - self._listen_checked < LISTEN_CHECK_SECONDS:
                return
            self._listen_checked = now
            try:
                await asyncio.wait_for(self.listener.fetchval("SELECT 1"), timeout=5)
                return
            except Exception as error:
                log.warning("outbox relay: LISTEN connection lost (%s)", error)
        if self.listener is not None:
            await self._close_listener()
        if now < self._next_listen:
            return
        try:
            connection = await asyncpg.connect(self.listen_url, timeout=5)
            await connection.add_listener(CHANNEL, lambda *_: self._wake.set())
            connection.add_termination_listener(lambda _: self._wake.set())
        except Exception as error:
            self._next_listen = now + self._listen_backoff
            log.warning(
                "outbox relay: LISTEN unavailable (%s: %s); polling every %.0f s",
                type(error).__name__,
                error,
                self.interval,
            )
            self._listen_backoff = min(self._listen_backoff * 2, self.max_backoff)
            return
        self.listener, self._listen_backoff, self._listen_checked = connection, self.interval, now
        log.info("outbox relay: listening on %s", CHANNEL)

    async def _close_listener(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), timeout=2)
            listener.terminate()
