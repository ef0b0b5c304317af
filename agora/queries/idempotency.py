"""Idempotency keys: one row per (course, user, key), written in the transaction of the create
it guards (agora.idempotency)."""

from __future__ import annotations

import asyncpg
import msgspec


class StoredAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """What a key was first used for (its fingerprint) and the answer then given."""

    fingerprint: bytes
    status: int
    response: bytes | None


async def insert_key(
    conn: asyncpg.Connection, course_id: int, user_id: int, key: str, fingerprint: bytes
) -> bool:
    """Claim `key`; False when it exists. A claim by a transaction still running makes this
    wait until that transaction ends, so two concurrent uses of one key never both write."""
    claimed = await conn.fetchval(
        """INSERT INTO idempotency_keys (course_id, user_id, key, fingerprint)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
        course_id,
        user_id,
        key,
        fingerprint,
    )
    return bool(claimed)


async def select_answer(
    conn: asyncpg.Connection, course_id: int, user_id: int, key: str
) -> StoredAnswer | None:
    row = await conn.fetchrow(
        """SELECT fingerprint, status, response FROM idempotency_keys
           WHERE course_id = $1 AND user_id = $2 AND key = $3""",
        course_id,
        user_id,
        key,
    )
    return None if row is None else StoredAnswer(**dict(row))


async def update_answer(
    conn: asyncpg.Connection, course_id: int, user_id: int, key: str, status: int, response: bytes
) -> None:
    await conn.execute(
        """UPDATE idempotency_keys SET status = $4, response = $5
           WHERE course_id = $1 AND user_id = $2 AND key = $3""",
        course_id,
        user_id,
        key,
        status,
        response,
    )


async def delete_expired(conn: asyncpg.Connection, *, older_than_hours: int) -> int:
    result: str = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
        older_than_hours,
    )
    return int(result.split()[-1])
