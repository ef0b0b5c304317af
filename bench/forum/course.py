"""A fresh benchmark database with one course: what the single-purpose benches start from."""

from __future__ import annotations

import asyncpg

from agora.db import init_connection, migrate

from .__main__ import _with_database


async def fresh_course(
    admin_url: str, db_name: str, context_id: str, settings: str = "{}"
) -> tuple[str, asyncpg.Connection, int, int]:
    """Drop and create `db_name`, migrate it, and add a bench platform, its deployment and one
    course: (database URL, an open connection the caller closes, platform id, course id)."""
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{db_name}"')
    finally:
        await admin.close()
    url = _with_database(admin_url, db_name)
    conn = await asyncpg.connect(url)
    try:
        await init_connection(conn)
        await migrate(conn)
        platform = await conn.fetchval(
            """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url)
               VALUES ('https://bench.test', 'c', 'https://bench.test/a', 'https://bench.test/t',
                       'https://bench.test/j') RETURNING id"""
        )
        await conn.execute(
            "INSERT INTO deployments (platform_id, deployment_id) VALUES ($1, 'd1')", platform
        )
        course = await conn.fetchval(
            """INSERT INTO courses (platform_id, deployment_id, context_id, title, settings)
               VALUES ($1, 'd1', $2, 'Bench MOOC', $3::jsonb) RETURNING id""",
            platform,
            context_id,
            settings,
        )
    except BaseException:
        await conn.close()
        raise
    return url, conn, platform, course
