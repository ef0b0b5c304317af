"""The arq worker: every job of every context registered in one WorkerSettings.

Jobs take ids, not objects, and are safe to run twice. Their context (`ctx`) carries `db` (an
agora.db.Database), `redis` and `settings`.

Each job function names its own timeout (`func(..., timeout=...)`): seconds for live events and
notifications, minutes for grade passback and roster sync, half an hour for allocation and
grading; JOB_TIMEOUT is the short default. A killed worker's jobs come back within a lease:
arq claims a job with an in-progress key that lives as long as the longest timeout of all
functions (so 30 min here), and the job runs again only once that key is gone. AgoraWorker
claims with a LEASE_SECONDS key instead and renews it while the job runs, so a job killed
mid-run, short or long, is picked up again by any worker within LEASE_SECONDS.

A job that fails on a transient error (TRANSIENT: PostgreSQL restarting or unreachable, a
dropped connection, a deadlock or serialization failure, Redis unreachable or loading, a network
error) is retried by arq after `retry_delay` (1, 2, 4… up to 60 s) for as long as the outage
lasts, up to OUTAGE_LIMIT after it was enqueued (a day: an outage is waited out, a bug that looks
like one is not retried for ever); any other error fails the job as before. The outbox row is
marked when the job is enqueued, so this retry is what makes its side effect happen at least
once; jobs are idempotent, so a rerun changes nothing that the first run did. (Before, a job gave
up after MAX_TRIES runs, about five minutes: a longer PostgreSQL outage lost its side effect.) A
function's own `max_tries` still bounds the runs it asks for itself (its own Retry).

Redis down does not stop the worker: started without Redis it waits for it with backoff (arq
alone retries a few times, then exits), and losing Redis while polling is logged and waited out
with backoff (arq alone ends); the outbox relay keeps its rows pending meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from arq import Retry
from arq.connections import ArqRedis
from arq.connections import create_pool as create_arq_pool
from arq.constants import in_progress_key_prefix
from arq.cron import CronJob, cron
from arq.worker import Function, Worker, func
from redis import exceptions as redis_errors

from agora import idempotency
from agora.contexts import collect
from agora.db import Database, create_pool
from agora.errors import Unavailable
from agora.outbox import HEALTH_FILE, OutboxRelay, delete_relayed
from agora.queries import idempotency as idempotency_queries
from agora.redis import QUEUE_NAME, redis_settings
from agora.settings import Settings

log = logging.getLogger("agora.worker")

JOB_TIMEOUT = 60  # seconds, for a function that names none
LEASE_SECONDS = 30.0
MAX_TRIES = 10  # for a function that names none
# Runs arq allows a job, so that transient retries stop by OUTAGE_LIMIT, not by a count (at 60 s
# apart, 2,000 runs outlast a day).
TRANSIENT_TRIES = 2_000
OUTAGE_LIMIT = timedelta(days=1)
TRANSIENT: tuple[type[Exception], ...] = (
    OSError,  # refused, reset, unreachable, timed out (TimeoutError is an OSError)
    asyncpg.PostgresConnectionError,  # class 08, and the connection closed mid-operation
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.InternalClientError,  # a shutdown message reached the connection between statements
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections
    asyncpg.exceptions.TransactionRollbackError,  # class 40: deadlock, serialization failure
    redis_errors.ConnectionError,  # also BusyLoadingError (Redis loading its data)
    redis_errors.TimeoutError,
    Unavailable,  # agora.db: no connection could be opened, or the pool stayed busy
)

# Redis unreachable, refusing, resetting or loading its data: wait and try again.
REDIS_DOWN: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.WatchError,  # "A ConnectionError occurred on while watching one or more keys"
    OSError,
)
REDIS_RETRY_MIN, REDIS_RETRY_MAX = 0.5, 30.0

Job = TypeVar("Job", Function, CronJob)


async def prune_outbox(ctx: dict[str, Any]) -> int:
    """Forget outbox rows relayed more than a week ago."""
    async with ctx["db"].acquire() as connection:
        return await delete_relayed(connection)


async def prune_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Forget Idempotency-Keys (and their stored answers) older than idempotency.KEEP_HOURS."""
    async with ctx["db"].acquire() as connection:
        return await idempotency_queries.delete_expired(
            connection, older_than_hours=idempotency.KEEP_HOURS
        )


def job_functions() -> list[Function]:
    """Every job function: the shell's own and each context's jobs.FUNCTIONS."""
    return [
        func(prune_outbox, name="prune_outbox", timeout=300),
        func(prune_idempotency_keys, name="prune_idempotency_keys", timeout=300),
        *collect("jobs", "FUNCTIONS"),
    ]


def cron_jobs() -> list[CronJob]:
    return [
        cron(prune_outbox, hour={3}, minute={17}, run_at_startup=False, timeout=300),
        cron(prune_idempotency_keys, minute={41}, run_at_startup=False, timeout=300),
        *collect("jobs", "CRON_JOBS"),
    ]


async def _renew(redis: ArqRedis, key: str, lease: float) -> None:
    """Keep `key` alive while the job runs; a Redis error is logged and the next renewal tries."""
    while True:
        await asyncio.sleep(lease / 3)
        try:
            await redis.pexpire(key, int(lease * 1000))
        except Exception as error:  # the job goes on; only its claim may lapse
            log.warning("cannot renew the lease %s (%s: %s)", key, type(error).__name__, error)


def retry_delay(job_try: int) -> float:
    return float(min(2 ** (job_try - 1), 60))


def retrying(
    job: Job,
    *,
    outage_limit: timedelta = OUTAGE_LIMIT,
    delay_of: Callable[[int], float] = retry_delay,
) -> Job:
    """`job`, asking arq to run it again later when it fails on a TRANSIENT error, until
    `outage_limit` after it was enqueued. Its arq `max_tries` is raised to TRANSIENT_TRIES; the
    limit it named (or MAX_TRIES) still bounds the retries it asks for itself."""
    coroutine = job.coroutine
    own_tries = getattr(job, "max_tries", None) or MAX_TRIES

    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await coroutine(ctx, *args, **kwargs)
        except Retry:
            if ctx["job_try"] >= own_tries:  # its own retries, bounded as it said
                raise RetriesExhausted(f"{job.name}: gave up after {ctx['job_try']} runs") from None
            raise
        except TRANSIENT as error:
            enqueued = ctx.get("enqueue_time")
            if enqueued is not None and datetime.now(UTC) - enqueued > outage_limit:
                log.error(
                    "%s: still failing after %s: %s; giving up", job.name, outage_limit, error
                )
                raise
            delay = delay_of(ctx["job_try"])
            log.warning(
                "%s: %s: %s; try %d again in %.0f s",
                job.name,
                type(error).__name__,
                error,
                ctx["job_try"],
                delay,
            )
            raise Retry(defer=delay) from error

    run.__qualname__ = coroutine.__qualname__
    if isinstance(job, Function):
        return dataclasses.replace(job, coroutine=run, max_tries=TRANSIENT_TRIES)
    return dataclasses.replace(job, coroutine=run)


class RetriesExhausted(Exception):
    """A job asked to run again (arq Retry) more often than its max_tries allows."""


def leased(job: Job, lease: float) -> Job:
    """`job` with its in-progress key renewed every lease/3 seconds while it runs."""
    coroutine = job.coroutine

    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        key = in_progress_key_prefix + ctx["job_id"]
        renewal = asyncio.create_task(_renew(ctx["redis"], key, lease))
        try:
            return await coroutine(ctx, *args, **kwargs)
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal

    run.__qualname__ = coroutine.__qualname__
    return dataclasses.replace(job, coroutine=run)


class AgoraWorker(Worker):
    """An arq Worker whose claim on a job is a lease of `lease` seconds renewed while it runs,
    and whose jobs are retried on TRANSIENT errors.

    `stop_failed` stops it as if it got SIGTERM; `run` then exits the process with an error, so
    compose or Kubernetes starts a new worker.
    """

    def __init__(
        self,
        *,
        functions: Sequence[Function],
        cron_jobs: Sequence[CronJob] | None = None,
        lease: float = LEASE_SECONDS,
        outage_limit: timedelta = OUTAGE_LIMIT,
        retry_delay_of: Callable[[int], float] = retry_delay,
        **kwargs: Any,
    ) -> None:
        def wrap(job: Job) -> Job:
            return leased(retrying(job, outage_limit=outage_limit, delay_of=retry_delay_of), lease)

        super().__init__(
            functions=[wrap(f) for f in functions],
            cron_jobs=[wrap(c) for c in cron_jobs] if cron_jobs else None,
            **kwargs,
        )
        self.in_progress_timeout_s = lease
        self.failure = ""
        self._redis_down_since: float | None = None
        self._redis_backoff = REDIS_RETRY_MIN

    async def main(self) -> None:
        """arq's main loop, started only once Redis answers (it would give up after a few tries
        and exit, so a worker started while Redis is down never came up)."""
        await self._wait_for_redis()
        await super().main()

    async def _wait_for_redis(self) -> None:
        delay = REDIS_RETRY_MIN
        while True:
            try:
                if self._pool is None:
                    self._pool = await create_arq_pool(
                        self.redis_settings,
                        job_deserializer=self.job_deserializer,
                        job_serializer=self.job_serializer,
                        default_queue_name=self.queue_name,
                        expires_extra_ms=self.expires_extra_ms,
                    )
                await self._pool.ping()
                return
            except REDIS_DOWN as error:
                log.warning(
                    "Redis unavailable at start (%s: %s); trying again in %.1f s",
                    type(error).__name__,
                    error,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, REDIS_RETRY_MAX)

    async def _poll_iteration(self) -> None:
        """One poll; while Redis is down it logs once, waits with backoff and polls again
        instead of ending the worker (jobs already running go on; the relay waits too)."""
        try:
            await super()._poll_iteration()
        except REDIS_DOWN as error:
            if self._redis_down_since is None:
                self._redis_down_since = time.monotonic()
                log.warning("Redis lost (%s: %s); reconnecting", type(error).__name__, error)
            await asyncio.sleep(self._redis_backoff)
            self._redis_backoff = min(self._redis_backoff * 2, REDIS_RETRY_MAX)
            return
        if self._redis_down_since is not None:
            log.warning("Redis is back after %.0f s", time.monotonic() - self._redis_down_since)
            self._redis_down_since = None
        self._redis_backoff = REDIS_RETRY_MIN

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """arq's start_jobs, one job at a time: when Redis fails while claiming a job, arq has
        taken a slot of max_jobs that no task will give back; give it back, or after max_jobs
        such failures the worker would never take a job again."""
        for job_id in job_ids:
            before = self.tasks.get(job_id.decode())
            try:
                await super().start_jobs([job_id])
            except REDIS_DOWN:
                if self.tasks.get(job_id.decode()) is before:
                    self.job_counter -= 1
                    self.sem.release()
                raise

    async def close(self) -> None:
        """arq's close, which first deletes its health key in Redis: with Redis down that
        raised before the shutdown hook ran (the relay and the pool stayed open)."""
        try:
            await super().close()
        except REDIS_DOWN as error:
            log.warning("closing with Redis unavailable (%s)", error)
            if self.on_shutdown:
                await self.on_shutdown(self.ctx)
            if self._pool is not None:
                with contextlib.suppress(*REDIS_DOWN):
                    await self._pool.aclose()
                self._pool = None

    def stop_failed(self, reason: str) -> None:
        self.failure = reason
        self.handle_sig(signal.SIGTERM)

    def run(self) -> None:
        super().run()
        if self.failure:
            raise SystemExit(f"worker stopped: {self.failure}")


def build_worker(
    settings: Settings,
    *,
    database: Database | None = None,
    burst: bool = False,
    redis: ArqRedis | None = None,
    handle_signals: bool = True,
    health_path: Path = HEALTH_FILE,
) -> AgoraWorker:
    """A worker for `settings`. Tests pass their own database (one connection) and burst=True.

    Outside burst mode it runs the outbox relay, whose health file is the worker's health probe
    (agora.outbox.probe); should the relay ever end, the worker stops so it is restarted.
    """
    relay: dict[str, OutboxRelay] = {}

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["db"] = database or Database(
            # min_size=0: no connection is opened here, so a PostgreSQL restarting while the
            # worker starts does not stop it; jobs and the relay retry until it answers.
            pool=await create_pool(settings.database_url, min_size=0, max_size=4)
        )
        if not burst:
            relay["relay"] = ctx["outbox_relay"] = OutboxRelay(
                ctx["db"],
                ctx["redis"],
                listen_url=settings.database_url,
                health_path=health_path,
                on_exit=lambda: worker.stop_failed("the outbox relay stopped"),
            )
            await relay["relay"].start()

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if "relay" in relay:
            await relay["relay"].stop()
        if database is None and "db" in ctx:
            await ctx["db"].close()

    worker = AgoraWorker(
        functions=job_functions(),
        cron_jobs=None if burst else cron_jobs(),
        queue_name=QUEUE_NAME,
        redis_settings=redis_settings(settings.redis_url),
        redis_pool=redis,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        burst=burst,
        max_jobs=20,
        job_timeout=JOB_TIMEOUT,
        max_tries=MAX_TRIES,
        keep_result=3600,
        handle_signals=handle_signals and not burst,
    )
    return worker
