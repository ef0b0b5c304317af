"""Our RSA signing keys: generated on first use, kept in PostgreSQL, rotated with a grace period.

The newest unretired key signs (deep-linking responses, AGS client assertions). Retired keys stay
in the published JWKS until `not_after`, so a platform that cached our JWKS keeps verifying.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import asyncpg
from joserfc import jwt
from joserfc.jwk import RSAKey

from agora.lti.queries import tool_keys

KEY_BITS = 2048
DEFAULT_GRACE = timedelta(days=7)


@lru_cache(maxsize=16)
def _load(kid: str, pem: str) -> RSAKey:
    return RSAKey.import_key(pem, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def new_key() -> tuple[str, str]:
    """A fresh (kid, private PEM)."""
    kid = datetime.now(UTC).strftime("%Y%m%d") + "-" + secrets.token_hex(6)
    key = RSAKey.generate_key(KEY_BITS, parameters={"kid": kid})
    return kid, key.as_pem(private=True).decode()


async def signing_key(connection: asyncpg.Connection) -> RSAKey:
    """The current signing key, creating the first one if there is none yet."""
    row = await tool_keys.select_signing_key(connection)
    if row is not None:
        return _load(row["kid"], row["private_pem"])
    async with connection.transaction():
        await tool_keys.lock_tool_keys(connection)
        row = await tool_keys.select_signing_key(connection)
        if row is not None:
            return _load(row["kid"], row["private_pem"])
        kid, pem = new_key()
        await tool_keys.insert_tool_key(connection, kid, pem)
    return _load(kid, pem)


async def public_jwks(connection: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every published public key (the current one is created if missing)."""
    await signing_key(connection)
    keys = []
    for row in await tool_keys.select_published_keys(connection):
        public = _load(row["kid"], row["private_pem"]).as_dict(private=False)
        keys.append({**public, "use": "sig", "alg": "RS256", "kid": row["kid"]})
    return {"keys": keys}


async def rotate(connection: asyncpg.Connection, grace: timedelta = DEFAULT_GRACE) -> str:
    """Add a new signing key; the previous ones stop signing and stay published for `grace`."""
    kid, pem = new_key()
    async with connection.transaction():
        await tool_keys.lock_tool_keys(connection)
        await tool_keys.retire_tool_keys(connection, grace)
        await tool_keys.insert_tool_key(connection, kid, pem)
    return kid


async def sign(connection: asyncpg.Connection, claims: dict[str, Any], *, typ: str = "JWT") -> str:
    """A compact RS256 JWT signed with our current key, its kid in the header."""
    key = await signing_key(connection)
    header = {"alg": "RS256", "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, key, algorithms=["RS256"])
