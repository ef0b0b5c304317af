"""Our RSA signing keys: generated on first use, kept in PostgreSQL, rotated with a grace period.

The newest unretired key signs (deep-linking responses, AGS client assertions). Retired keys stay
in the published JWKS until `not_after`, so a platform that cached our JWKS keeps verifying.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import asyncpg
from joserfc import jwt
from joserfc.jwk import RSAKey

from agora.lti import queries

KEY_BITS = 2048
DEFAULT_GRACE = timedelta(days=7)
# Any fixed number; serialises "generate the first key" across processes.
KEY_LOCK_ID = 0x4C_54_49_4B  # "LTIK"


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
    row = await queries.select_signing_key(connection)
    if row is None:
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", KEY_LOCK_ID)
            row = await queries.select_signing_key(connection)
            if row is None:
                kid, pem = new_key()
                await queries.insert_tool_key(connection, kid, pem)
                row = {"kid": kid, "private_pem": pem}
    return _load(row["kid"], row["private_pem"])


async def public_jwks(connection: asyncpg.Connection) -> dict:
    """Every published public key (the current one is created if missing)."""
    await signing_key(connection)
    rows = await queries.select_published_keys(connection)
    keys = []
    for row in rows:
        public = _load(row["kid"], row["private_pem"]).as_dict(private=False)
        keys.append({**public, "use": "sig", "alg": "RS256", "kid": row["kid"]})
    return {"keys": keys}


async def rotate(connection: asyncpg.Connection, grace: timedelta = DEFAULT_GRACE) -> str:
    """Add a new signing key; the previous ones stop signing and stay published for `grace`."""
    kid, pem = new_key()
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", KEY_LOCK_ID)
        await queries.retire_tool_keys(connection, grace)
        await queries.insert_tool_key(connection, kid, pem)
    return kid


async def sign(connection: asyncpg.Connection, claims: dict, *, typ: str = "JWT") -> str:
    """A compact RS256 JWT signed with our current key, its kid in the header."""
    key = await signing_key(connection)
    header = {"alg": "RS256", "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, key, algorithms=["RS256"])
