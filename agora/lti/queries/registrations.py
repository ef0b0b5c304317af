"""Registration invites: one-time tokens an administrator hands an LMS (only their hash here)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg


async def insert_invite(
    conn: asyncpg.Connection, token_hash: bytes, ttl: timedelta, note: str
) -> datetime:
    """Store an invite valid for `ttl` from now (the database's clock); when it expires."""
    expires_at: datetime = await conn.fetchval(
        """INSERT INTO lti_registration_invites (token_hash, expires_at, note)
           VALUES ($1, clock_timestamp() + $2::interval, $3) RETURNING expires_at""",
        token_hash,
        ttl,
        note,
    )
    return expires_at


async def claim_invite(conn: asyncpg.Connection, token_hash: bytes) -> int | None:
    """Mark the invite used if it is unused and unexpired; its id, else None.

    Call it in the registration's transaction: a registration that fails rolls the claim back,
    and a second use of the same invite waits on the row lock, then finds it used.
    """
    invite_id: int | None = await conn.fetchval(
        """UPDATE lti_registration_invites SET used_at = now()
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > clock_timestamp()
           RETURNING id""",
        token_hash,
    )
    return invite_id


async def update_invite_platform(
    conn: asyncpg.Connection, invite_id: int, platform_id: int
) -> None:
    await conn.execute(
        "UPDATE lti_registration_invites SET platform_id = $2 WHERE id = $1",
        invite_id,
        platform_id,
    )


async def select_invites(conn: asyncpg.Connection, *, limit: int = 100) -> list[asyncpg.Record]:
    """The newest invites first, with the issuer of the platform each one registered."""
    return await conn.fetch(
        """SELECT i.id, i.note, i.created_at, i.expires_at, i.used_at, p.issuer, p.client_id
             FROM lti_registration_invites i LEFT JOIN platforms p ON p.id = i.platform_id
            ORDER BY i.id DESC LIMIT $1""",
        limit,
    )
