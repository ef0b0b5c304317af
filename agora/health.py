"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

import asyncpg
from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from agora.db import Database
from agora.errors import NotFound, Unauthorized
from agora.outbox import count_pending
from agora.redis import QUEUE_NAME
from agora.settings import Settings

CHECK_TIMEOUT = 2.0

POOL_SIZE = Gauge("agora_db_pool_connections", "PostgreSQL pool connections", ["state"])
JOBS = Gauge("agora_jobs", "Background jobs by state", ["state"])


@get("/health", include_in_schema=True, tags=["ops"], sync_to_thread=False)
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def _check_postgres(database: Database) -> str | None:
    # On a connection of its own: a saturated request pool must not make readiness wait.
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await database.probe()
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return f"{type(error).__name__}: {error}"
    return None


async def _check_redis(redis: Redis) -> str | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await redis.ping()
    except (OSError, TimeoutError, RedisError) as error:
        return f"{type(error).__name__}: {error}"
    return None


@get("/ready", tags=["ops"])
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Readiness: PostgreSQL and Redis both answer. 503 names the one that does not."""
    postgres, redis = await asyncio.gather(
        _check_postgres(request.app.state.database), _check_redis(request.app.state.redis)
    )
    checks = {"postgres": postgres or "ok", "redis": redis or "ok"}
    failed = [name for name, error in (("postgres", postgres), ("redis", redis)) if error]
    if failed:
        return Response(
            {"status": "unavailable", "failed": failed, "checks": checks},
            status_code=503,
        )
    return Response({"status": "ok", "checks": checks})


async def _refresh_gauges(request: Request[Any, Any, Any]) -> None:
    database: Database = request.app.state.database
    if database.pool is not None:
        size, idle = database.pool.get_size(), database.pool.get_idle_size()
        POOL_SIZE.labels("in_use").set(size - idle)
        POOL_SIZE.labels("idle").set(idle)
        POOL_SIZE.labels("max").set(database.pool.get_max_size())
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), database.acquire() as connection:
            JOBS.labels("outbox_pending").set(await count_pending(connection))
    except (OSError, TimeoutError, asyncpg.PostgresError):
        pass
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            JOBS.labels("queued").set(await request.app.state.redis.zcard(QUEUE_NAME))
    except (OSError, TimeoutError, RedisError):
        pass


def _check_metrics_token(request: Request[Any, Any, Any]) -> None:
    """Metrics name routes, volumes and queue depths: only the scraper that holds
    AGORA_METRICS_TOKEN reads them. Without a token they are off, except in dev mode."""
    settings: Settings = request.app.state.settings
    if not settings.metrics_token:
        if settings.dev:
            return
        raise NotFound("metrics are off: set AGORA_METRICS_TOKEN and scrape with that bearer token")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.metrics_token.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise Unauthorized(
            "send the metrics token as 'Authorization: Bearer TOKEN'",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )


@get("/metrics", tags=["ops"], include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text format: request counts/latencies by route, pool usage, job counts."""
    _check_metrics_token(request)
    await _refresh_gauges(request)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


ROUTES = [health, ready, metrics]
