"""The dev LMS's tables: agora/devlms/schema.sql, applied where the dev LMS runs.

Why a file of `CREATE TABLE IF NOT EXISTS` and not a numbered migration: see the package
docstring. It runs under the migration runner's advisory lock, so two dev processes starting
together do not race, and in one transaction.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg

from agora.db import MIGRATION_LOCK_ID

SCHEMA_FILE = Path(__file__).resolve().parent / "schema.sql"


async def create_schema(connection: asyncpg.Connection) -> None:
    """Create the dev LMS's tables if they are missing (idempotent)."""
    sql = SCHEMA_FILE.read_text()
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        async with connection.transaction():
            await connection.execute(sql)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)


async def create_schema_url(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await create_schema(connection)
    finally:
        await connection.close()
