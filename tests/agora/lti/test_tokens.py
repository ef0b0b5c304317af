"""Service tokens: cached per (platform, scopes), fetched once by concurrent callers, and the
fetch lock (a redis-py Lock) never released by anyone but its holder."""

import asyncio

import pytest

from agora.lti import claims as c
from agora.lti import keys, outbound, tokens
from agora.lti.queries import platforms

# The stand-in platform is on loopback over http.
LOOPBACK = outbound.Policy(allow_private=True)

SCOPES = [c.SCOPE_LINEITEM, c.SCOPE_SCORE]


async def registered(conn, platform) -> dict:
    platform.tool_jwks = await keys.public_jwks(conn)
    return dict(await platforms.select_platform(conn, platform.platform_id))


async def test_concurrent_callers_ask_the_platform_for_one_token(conn, redis, platform):
    row, key = await registered(conn, platform), await keys.signing_key(conn)
    async with outbound.client(LOOPBACK) as http:
        got = await asyncio.gather(
            *(tokens.access_token(http, redis, row, key, SCOPES) for _ in range(5))
        )
    assert len(platform.token_requests) == 1
    assert len(set(got)) == 1 and got[0] in platform.tokens
    assert await redis.get(tokens.cache_key(row["id"], SCOPES)) == got[0].encode()


async def test_a_caller_tired_of_waiting_fetches_but_leaves_the_holders_lock(
    conn, redis, platform, monkeypatch
):
    row, key = await registered(conn, platform), await keys.signing_key(conn)
    lock_name = tokens.cache_key(row["id"], SCOPES) + ":lock"
    await redis.set(lock_name, "another-worker", ex=60)  # a fetch in progress elsewhere
    monkeypatch.setattr(tokens, "LOCK_WAIT_SECONDS", 0.3)
    async with outbound.client(LOOPBACK) as http:
        token = await tokens.access_token(http, redis, row, key, SCOPES)
    assert token in platform.tokens and len(platform.token_requests) == 1
    assert await redis.get(lock_name) == b"another-worker"


async def test_a_forgotten_token_is_fetched_again(conn, redis, platform):
    row, key = await registered(conn, platform), await keys.signing_key(conn)
    async with outbound.client(LOOPBACK) as http:
        first = await tokens.access_token(http, redis, row, key, SCOPES)
        assert await tokens.access_token(http, redis, row, key, SCOPES) == first
        await tokens.forget(redis, row["id"], SCOPES)
        second = await tokens.access_token(http, redis, row, key, SCOPES)
    assert second != first and len(platform.token_requests) == 2


@pytest.mark.parametrize(
    ("expires_in", "low", "high"),
    [("Infinity", 200, 300), ("NaN", 200, 300), ("-5", -2, -2), ("1e300", 86000, 86400)],
)
async def test_an_odd_expires_in_is_bounded_not_a_crash(
    conn, redis, platform, expires_in, low, high
):
    platform.token_expires_in = expires_in
    row, key = await registered(conn, platform), await keys.signing_key(conn)
    async with outbound.client(LOOPBACK) as http:
        token = await tokens.access_token(http, redis, row, key, SCOPES)
    assert token in platform.tokens
    ttl = await redis.ttl(tokens.cache_key(row["id"], SCOPES))
    assert low <= ttl <= high
