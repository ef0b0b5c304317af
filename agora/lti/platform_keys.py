"""Platform public keys: the JWKS fetched over HTTP, cached in Redis, refetched on an unknown kid.

An unknown kid refetches the JWKS at most once per REFETCH_INTERVAL per platform, so a flood of
forged tokens with random kids cannot turn us into a request amplifier against the platform.
"""

from __future__ import annotations

import json
import re
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from redis.asyncio import Redis

from agora.lti import outbound

CACHE_SECONDS = 600
MIN_CACHE_SECONDS = 60
MAX_CACHE_SECONDS = 24 * 3600
REFETCH_INTERVAL = 30
MAX_KEYS = 50
MAX_AGE = re.compile(r"max-age=(\d+)")


class KeyNotFound(Exception):
    pass


def cache_key(platform_id: int) -> str:
    return f"lti:jwks:{platform_id}"


async def fetch_jwks(jwks_url: str, policy: outbound.Policy) -> tuple[dict[str, Any], int]:
    async with outbound.client(policy) as http:
        response, document = await outbound.get_json(
            http, jwks_url, headers={"Accept": "application/json"}
        )
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise outbound.PlatformHTTPError("the answer is not a JWKS document", retriable=False)
    ttl = CACHE_SECONDS
    match = MAX_AGE.search(response.headers.get("cache-control", ""))
    if match:
        ttl = min(max(int(match.group(1)), MIN_CACHE_SECONDS), MAX_CACHE_SECONDS)
    return {"keys": document["keys"][:MAX_KEYS]}, ttl


def _find(document: dict[str, Any], kid: str | None) -> RSAKey | None:
    candidates = [
        k
        for k in document.get("keys", [])
        if isinstance(k, dict) and k.get("kty") == "RSA" and k.get("use", "sig") == "sig"
    ]
    if kid is None:
        # Without a kid only an unambiguous single key is acceptable.
        chosen = candidates if len(candidates) == 1 else []
    else:
        chosen = [k for k in candidates if k.get("kid") == kid]
    if not chosen:
        return None
    try:
        return RSAKey.import_key({k: v for k, v in chosen[0].items() if k not in ("d", "p", "q")})
    except (JoseError, ValueError, TypeError):
        return None


async def platform_key(
    redis: Redis, platform_id: int, jwks_url: str, kid: str | None, policy: outbound.Policy
) -> RSAKey:
    """The platform's public key for `kid`. Raises KeyNotFound or PlatformHTTPError."""
    cached = await redis.get(cache_key(platform_id))
    if cached is not None:
        key = _find(json.loads(cached), kid)
        if key is not None:
            return key
        # Unknown kid: the platform may have rotated. Refetch, but only once per interval.
        if not await redis.set(
            f"lti:jwks-refetch:{platform_id}", "1", nx=True, ex=REFETCH_INTERVAL
        ):
            raise KeyNotFound(f"no platform key with kid {kid!r}")
    document, ttl = await fetch_jwks(jwks_url, policy)
    await redis.set(cache_key(platform_id), json.dumps(document), ex=ttl)
    key = _find(document, kid)
    if key is None:
        raise KeyNotFound(f"no platform key with kid {kid!r}")
    return key
