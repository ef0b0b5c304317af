"""PostgreSQL access: the pool, the per-request connection, and the migration runner."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import asyncpg

from agora.errors import Unavailable

log = logging.getLogger("agora.db")

# Inside the package, so an installed wheel can migrate (pyproject ships "*.sql" as package data).
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any fixed 64-bit number works; it must only be the same in every Agora process.
MIGRATION_LOCK_ID = 0x41_47_4F_52_41  # "AGORA"


async def init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


# Opening a connection gives up after this long (asyncpg's default is 60 s), so a PostgreSQL that
# does not answer is a quick 503, not a request hanging for a minute.
CONNECT_TIMEOUT = 5.0
ACQUIRE_TIMEOUT = 5.0  # AGORA_QUEUE_TIMEOUT in the app


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        command_timeout=60,
        timeout=CONNECT_TIMEOUT,
    )


# Both are also the OSError / TimeoutError that acquiring used to raise, so code that catches
# those around `acquire` (readiness, metrics, the framing policy) goes on working unchanged.
class PoolBusy(Unavailable, TimeoutError):
    """Every pool connection stayed busy for the whole acquire timeout: shed this request."""


class DatabaseUnreachable(Unavailable, ConnectionError):
    """No connection could be opened to PostgreSQL (down, restarting): 503, retry later."""


class Database:
    """Hands out connections: from a pool in production, or one shared connection in tests.

    Tests run each case inside a transaction that is rolled back; the app under test gets that
    same connection, so everything it writes disappears with the rollback. Requests then take
    turns on the connection (asyncpg runs one query at a time per connection).
    """

    def __init__(
        self,
        pool: asyncpg.Pool | None = None,
        connection: asyncpg.Connection | None = None,
        *,
        dsn: str = "",
        acquire_timeout: float = ACQUIRE_TIMEOUT,
    ) -> None:
        self.pool = pool
        self.connection = connection
        self.dsn = dsn
        self.acquire_timeout = acquire_timeout
        self._turn = asyncio.Lock()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for the block. Waits at most `acquire_timeout` for one (then PoolBusy, a
        503); errors opening one (PostgreSQL down) propagate and agora.errors answers 503.

        Giving the connection back never raises: by then the block's transaction has committed
        and its answer is due, and asyncpg has already closed a connection it could not reset."""
        if self.pool is None:
            assert self.connection is not None, "a Database needs a pool or a connection"
            async with self._turn:
                yield self.connection
            return
        try:
            proxy = await self.pool.acquire(timeout=self.acquire_timeout)
        except TimeoutError:
            raise PoolBusy(
                "the server is busy; retry shortly", retry_after=int(self.acquire_timeout) or 1
            ) from None
        except OSError as error:
            # Opening a connection failed: refused, or the unix socket is gone while
            # PostgreSQL restarts (FileNotFoundError, which is no ConnectionError).
            raise DatabaseUnreachable(f"the database cannot be reached ({error})") from error
        try:
            # The pool's proxy forwards every Connection method to the pooled connection.
            yield cast(asyncpg.Connection, proxy)
        finally:
            try:
                await self.pool.release(proxy)
            except Exception as error:
                log.warning("returning a connection failed (%s: %s)", type(error).__name__, error)

    async def probe(self) -> None:
        """Run SELECT 1 on a connection of its own, not one from the request pool, so a
        saturated pool does not make a readiness probe wait in its queue (callers bound it with
        asyncio.timeout). Raises when PostgreSQL does not answer."""
        if self.pool is None or not self.dsn:
            async with self.acquire() as connection:
                await connection.fetchval("SELECT 1")
            return
        connection = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT)
        try:
            await connection.fetchval("SELECT 1")
        finally:
            connection.terminate()

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


# ---- migrations -------------------------------------------------------------------------------


class MigrationError(RuntimeError):
    """A migration failed; its transaction was rolled back and start-up must stop."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_words.sql")
        migrations.append(Migration(int(match.group(1)), path.name, path.read_text()))
    versions = [m.version for m in migrations]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"two migrations share a number in {directory}")
    return migrations


async def migrate(connection: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations in order, each in its own transaction; return the names applied.

    A session-level advisory lock makes concurrent starters wait for each other, so each
    migration is applied exactly once even when two app instances start together.
    """
    migrations = discover_migrations(directory)
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        await connection.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            r["version"] for r in await connection.fetch("SELECT version FROM schema_migrations")
        }
        applied: list[str] = []
        for migration in migrations:
            if migration.version in done:
                continue
            try:
                async with connection.transaction():
                    await connection.execute(migration.sql)
                    await connection.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        migration.version,
                        migration.name,
                    )
            except asyncpg.PostgresError as error:
                raise MigrationError(
                    f"{migration.name}: {type(error).__name__}: {error}"
                ) from error
            applied.append(migration.name)
        return applied
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)


async def migrate_url(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        return await migrate(connection, directory)
    finally:
        await connection.close()
