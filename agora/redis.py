"""The Redis client: one ArqRedis per process (a redis.asyncio.Redis that can also enqueue jobs).

It connects lazily, so the app starts and serves posts while Redis is down; what needs Redis
(launch nonces, rate limits, live events) fails or degrades on its own.
"""

from __future__ import annotations

from arq.connections import ArqRedis, RedisSettings

QUEUE_NAME = "arq:queue"


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 0
    return settings


def create_redis(url: str) -> ArqRedis:
    # from_url makes the client own its pool, so aclose() closes the connections too.
    # arq's default queue name is QUEUE_NAME.
    client: ArqRedis = ArqRedis.from_url(
        url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )
    return client
