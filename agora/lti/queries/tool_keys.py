"""Our RSA signing keys (a global table): the current one, the published ones, rotation."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

# Any fixed number; serialises "generate the first key" and rotations across processes.
KEY_LOCK_ID = 0x4C_54_49_4B  # "LTIK"


async def lock_tool_keys(conn: asyncpg.Connection) -> None:
    """Hold the key lock until the caller's transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", KEY_LOCK_ID)


async def select_signing_key(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """kid and private_pem of the newest unretired key."""
    return await conn.fetchrow(
        """SELECT kid, private_pem FROM lti_tool_keys
            WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1"""
    )


async def select_published_keys(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """kid and private_pem of every key still published (current, or retired in its grace)."""
    return await conn.fetch(
        """SELECT kid, private_pem FROM lti_tool_keys
            WHERE not_after IS NULL OR not_after > now() ORDER BY created_at DESC"""
    )


async def select_tool_keys(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT kid, created_at, retired_at, not_after FROM lti_tool_keys ORDER BY created_at"
    )


async def insert_tool_key(conn: asyncpg.Connection, kid: str, pem: str) -> None:
    await conn.execute("INSERT INTO lti_tool_keys (kid, private_pem) VALUES ($1, $2)", kid, pem)


async def retire_tool_keys(conn: asyncpg.Connection, grace: timedelta) -> None:
    """Stop every current key signing; each stays published for `grace`."""
    await conn.execute(
        """UPDATE lti_tool_keys SET retired_at = now(), not_after = now() + $1::interval
            WHERE retired_at IS NULL""",
        grace,
    )
