"""Platform registrations (issuer + client_id) and their deployments: global tables."""

from __future__ import annotations

import asyncpg


async def select_platform(conn: asyncpg.Connection, platform_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM platforms WHERE id = $1", platform_id)


async def select_course_platform(conn: asyncpg.Connection, course_id: int) -> asyncpg.Record | None:
    """The platform a course was launched from."""
    return await conn.fetchrow(
        """SELECT p.* FROM platforms p JOIN courses co ON co.platform_id = p.id
            WHERE co.id = $1""",
        course_id,
    )


async def select_platforms_by_issuer(
    conn: asyncpg.Connection, issuer: str, client_id: str
) -> list[asyncpg.Record]:
    """Platforms with this issuer (and this client_id unless it is empty), at most two."""
    return await conn.fetch(
        """SELECT * FROM platforms WHERE issuer = $1 AND ($2 = '' OR client_id = $2)
            ORDER BY id LIMIT 2""",
        issuer,
        client_id,
    )


async def select_platforms(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every platform with a `deployments` array of its deployment ids."""
    return await conn.fetch(
        """SELECT p.*, COALESCE(array_agg(d.deployment_id ORDER BY d.deployment_id)
                  FILTER (WHERE d.deployment_id IS NOT NULL), '{}') AS deployments
             FROM platforms p LEFT JOIN deployments d ON d.platform_id = p.id
            GROUP BY p.id ORDER BY p.id"""
    )


async def upsert_platform(
    conn: asyncpg.Connection,
    *,
    issuer: str,
    client_id: str,
    name: str,
    auth_login_url: str,
    auth_token_url: str,
    jwks_url: str,
    origins: list[str] | None = None,
) -> int:
    """Create or update a registration: for administrators (CLI, demo), never for registration
    requests from outside (insert_platform)."""
    platform_id: int = await conn.fetchval(
        """INSERT INTO platforms (issuer, client_id, name, auth_login_url, auth_token_url,
                                  jwks_url, origins)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (issuer, client_id) DO UPDATE
              SET name = EXCLUDED.name, auth_login_url = EXCLUDED.auth_login_url,
                  auth_token_url = EXCLUDED.auth_token_url, jwks_url = EXCLUDED.jwks_url,
                  origins = EXCLUDED.origins
           RETURNING id""",
        issuer,
        client_id,
        name,
        auth_login_url,
        auth_token_url,
        jwks_url,
        origins or [],
    )
    return platform_id


async def insert_platform(
    conn: asyncpg.Connection,
    *,
    issuer: str,
    client_id: str,
    name: str,
    auth_login_url: str,
    auth_token_url: str,
    jwks_url: str,
) -> int | None:
    """A new registration's id, or None when (issuer, client_id) is already registered: an
    existing registration is never overwritten this way."""
    platform_id: int | None = await conn.fetchval(
        """INSERT INTO platforms (issuer, client_id, name, auth_login_url, auth_token_url, jwks_url)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (issuer, client_id) DO NOTHING
           RETURNING id""",
        issuer,
        client_id,
        name,
        auth_login_url,
        auth_token_url,
        jwks_url,
    )
    return platform_id


async def insert_deployment(conn: asyncpg.Connection, platform_id: int, deployment_id: str) -> None:
    await conn.execute(
        """INSERT INTO deployments (platform_id, deployment_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        platform_id,
        deployment_id,
    )


async def deployment_exists(conn: asyncpg.Connection, platform_id: int, deployment_id: str) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM deployments
                               WHERE platform_id = $1 AND deployment_id = $2)""",
            platform_id,
            deployment_id,
        )
    )
