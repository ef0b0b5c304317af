"""The arq worker: every job of every context registered in one WorkerSettings.

Jobs take ids, not objects, and are safe to run twice. Their context (`ctx`) carries `db` (an
agora.db.Database), `redis` and `settings`.
"""

from __future__ import annotations

import logging
from typing import Any

from arq.connections import ArqRedis
from arq.cron import CronJob, cron
from arq.worker import Function, Worker, func

from agora.contexts import collect
from agora.db import Database, create_pool
from agora.outbox import OutboxRelay, delete_relayed
from agora.redis import QUEUE_NAME, redis_settings
from agora.settings import Settings

log = logging.getLogger("agora.worker")


async def prune_outbox(ctx: dict[str, Any]) -> int:
    """Forget outbox rows relayed more than a week ago."""
    async with ctx["db"].acquire() as connection:
        return await delete_relayed(connection)


def job_functions() -> list[Function]:
    """Every job function: the shell's own and each context's jobs.FUNCTIONS."""
    return [func(prune_outbox, name="prune_outbox"), *collect("jobs", "FUNCTIONS")]


def cron_jobs() -> list[CronJob]:
    return [
        cron(prune_outbox, hour={3}, minute={17}, run_at_startup=False),
        *collect("jobs", "CRON_JOBS"),
    ]


def build_worker(
    settings: Settings,
    *,
    database: Database | None = None,
    burst: bool = False,
    redis: ArqRedis | None = None,
    handle_signals: bool = True,
) -> Worker:
    """A worker for `settings`. Tests pass their own database (one connection) and burst=True."""
    relay: dict[str, OutboxRelay] = {}

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["db"] = database or Database(
            pool=await create_pool(settings.database_url, min_size=1, max_size=4)
        )
        if not burst:
            relay["relay"] = OutboxRelay(ctx["db"], ctx["redis"], listen_url=settings.database_url)
            await relay["relay"].start()

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if "relay" in relay:
            await relay["relay"].stop()
        if database is None and "db" in ctx:
            await ctx["db"].close()

    return Worker(
        functions=job_functions(),
        cron_jobs=None if burst else cron_jobs(),
        queue_name=QUEUE_NAME,
        redis_settings=redis_settings(settings.redis_url),
        redis_pool=redis,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        burst=burst,
        max_jobs=20,
        job_timeout=300,
        keep_result=3600,
        handle_signals=handle_signals and not burst,
    )
