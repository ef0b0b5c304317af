"""OAuth2 client_credentials tokens for LTI Advantage services (AGS, NRPS).

We authenticate with a JWT client assertion signed by our current key (RS256, our kid). Tokens
are cached in Redis per (platform, scopes) until shortly before they expire, so publishing many
scores costs one token request: concurrent jobs wait on a redis-py Lock for the one fetching.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import secrets
import time
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey
from redis.asyncio import Redis
from redis.exceptions import LockError

from agora.lti import outbound

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXPIRY_MARGIN = 60
MAX_TOKEN_SECONDS = 24 * 3600
# The fetching job holds the lock at most this long (a token request has a 10 s timeout) ...
LOCK_SECONDS = 15
# ... and the others wait at most this long for it before asking the platform themselves.
LOCK_WAIT_SECONDS = 5
LOCK_POLL_SECONDS = 0.1


def cache_key(platform_id: int, scopes: list[str]) -> str:
    digest = hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()[:24]
    return f"lti:token:{platform_id}:{digest}"


def client_assertion(platform: dict[str, Any], key: RSAKey) -> str:
    now = int(time.time())
    claims = {
        "iss": platform["client_id"],
        "sub": platform["client_id"],
        "aud": platform["auth_token_url"],
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key, ["RS256"])


async def access_token(
    http: httpx.AsyncClient, redis: Redis, platform: dict[str, Any], key: RSAKey, scopes: list[str]
) -> str:
    """A cached token for these scopes, or a new one from the platform's token endpoint."""
    key_name = cache_key(platform["id"], scopes)
    cached = await redis.get(key_name)
    if cached is not None:
        return bytes(cached).decode()
    lock = redis.lock(
        key_name + ":lock",
        timeout=LOCK_SECONDS,
        sleep=LOCK_POLL_SECONDS,
        blocking_timeout=LOCK_WAIT_SECONDS,
    )
    acquired = await lock.acquire()
    try:
        # The job we waited for has most likely cached a token by now.
        cached = await redis.get(key_name)
        if cached is not None:
            return bytes(cached).decode()
        return await _fetch(http, redis, platform, key, scopes, key_name)
    finally:
        if acquired:
            # Released only if still ours: past LOCK_SECONDS another job may hold it.
            with contextlib.suppress(LockError):
                await lock.release()


async def _fetch(
    http: httpx.AsyncClient,
    redis: Redis,
    platform: dict[str, Any],
    key: RSAKey,
    scopes: list[str],
    key_name: str,
) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(platform, key),
        "scope": " ".join(sorted(scopes)),
    }
    _, document = await outbound.request_json(
        http, "POST", platform["auth_token_url"], data=form, headers={"Accept": "application/json"}
    )
    token = document.get("access_token") if isinstance(document, dict) else None
    if not isinstance(token, str) or not token:
        raise outbound.PlatformHTTPError("the token endpoint answered without an access_token")
    expires_in = document.get("expires_in", 3600) if isinstance(document, dict) else 3600
    # JSON may say Infinity or NaN (int() of them raises) or a year: keep it to a day at most.
    valid = isinstance(expires_in, int | float) and math.isfinite(expires_in)
    ttl = int(min(max(expires_in, 0), MAX_TOKEN_SECONDS)) - EXPIRY_MARGIN if valid else 300
    if ttl > 0:
        await redis.set(key_name, token, ex=ttl)
    return token


async def forget(redis: Redis, platform_id: int, scopes: list[str]) -> None:
    await redis.delete(cache_key(platform_id, scopes))
