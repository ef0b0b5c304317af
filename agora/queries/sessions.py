"""Launch sessions: a global table keyed by the SHA-256 of the token (the token is never stored).

Hashing and expiry times are agora.sessions' business; these only read and write rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec


class ActiveSession(msgspec.Struct, frozen=True, kw_only=True):
    """An unexpired session with its user's display name."""

    user_id: int
    course_id: int
    role: str
    locale: str
    target: dict[str, Any]
    name: str


async def insert_session(
    conn: asyncpg.Connection,
    token_hash: bytes,
    *,
    user_id: int,
    course_id: int,
    role: str,
    locale: str,
    target: dict[str, Any],
    expires_at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO sessions (token_hash, user_id, course_id, role, locale, target, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        token_hash,
        user_id,
        course_id,
        role,
        locale,
        target,
        expires_at,
    )


async def select_active_session(
    conn: asyncpg.Connection, token_hash: bytes
) -> ActiveSession | None:
    """The session with this token hash, unless it has expired."""
    row = await conn.fetchrow(
        """SELECT s.user_id, s.course_id, s.role, s.locale, s.target, u.name
             FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = $1 AND s.expires_at > now()""",
        token_hash,
    )
    return ActiveSession(**dict(row)) if row else None


async def delete_user_sessions_with_roles(
    conn: asyncpg.Connection, *, user_id: int, course_id: int, roles: list[str]
) -> int:
    """How many of this user's sessions in this course, with one of `roles`, were deleted."""
    if not roles:
        return 0
    status = await conn.execute(
        """DELETE FROM sessions
            WHERE user_id = $1 AND course_id = $2 AND role = ANY($3::text[])""",
        user_id,
        course_id,
        roles,
    )
    return int(status.split()[-1])


async def delete_expired_sessions(conn: asyncpg.Connection) -> int:
    """How many expired sessions were deleted."""
    status = await conn.execute("DELETE FROM sessions WHERE expires_at <= now()")
    return int(status.split()[-1])
