"""Rate limits in Redis, per course and subject (keys hash-tag the course for Redis Cluster).

Two shapes cover what forums need: a minimum gap between actions (seconds between posts) and a
quota per window (new threads per day). Both fail open: if Redis is unreachable the action is
allowed and the outage logged, because losing a post is worse than a burst of them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agora.errors import RateLimited

log = logging.getLogger("agora.ratelimit")


# INCR and the first EXPIRE in one atomic step, so a key can never be left without a TTL.
_QUOTA_LUA = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('TTL', KEYS[1])}
"""


def key(course_id: int, name: str, subject: object) -> str:
    return f"agora:{{course:{course_id}}}:rl:{name}:{subject}"


async def enforce_gap(
    redis: Redis | None, course_id: int, name: str, subject: object, seconds: int
) -> None:
    """Allow one action per `seconds`; otherwise raise RateLimited with the seconds left.
    `redis=None` means no limiter (seeding, imports)."""
    if seconds <= 0 or redis is None:
        return
    k = key(course_id, name, subject)
    try:
        if await redis.set(k, 1, nx=True, ex=seconds):
            return
        retry_after = await redis.ttl(k)
    except (RedisError, OSError, TimeoutError) as error:
        log.warning("rate limit %s not enforced, Redis unavailable: %s", name, error)
        return
    raise RateLimited(
        f"wait {max(retry_after, 1)} s between posts", retry_after=max(retry_after, 1)
    )


async def enforce_quota(
    redis: Redis | None,
    course_id: int,
    name: str,
    subject: object,
    *,
    limit: int,
    window: int,
) -> None:
    """Allow `limit` actions per `window` seconds (fixed window from the first action)."""
    if redis is None:
        return
    k = key(course_id, name, subject)
    try:
        # redis-py types eval for its sync and async clients at once; this one is async.
        reply = redis.eval(_QUOTA_LUA, 1, k, str(window))
        count, ttl = await cast(Awaitable[list[int]], reply)
    except (RedisError, OSError, TimeoutError) as error:
        log.warning("rate limit %s not enforced, Redis unavailable: %s", name, error)
        return
    if count > limit:
        raise RateLimited(
            f"limit of {limit} reached; try again in {max(ttl, 1)} s", retry_after=max(ttl, 1)
        )
