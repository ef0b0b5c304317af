"""agora.transactions.retry_on_conflict on real committed connections: the side PostgreSQL aborts
in a deadlock rolls back to its savepoint and runs again, inside the caller's transaction."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from agora.transactions import retry_on_conflict


async def test_the_aborted_side_of_a_deadlock_runs_again_and_commits(database_url):
    a = await asyncpg.connect(database_url)
    b = await asyncpg.connect(database_url)
    await a.execute("CREATE TABLE retry_probe (id int PRIMARY KEY, n int NOT NULL)")
    await a.execute("INSERT INTO retry_probe VALUES (1, 0), (2, 0)")
    a_holds_1, b_holds_2 = asyncio.Event(), asyncio.Event()
    runs = 0

    @retry_on_conflict
    async def one_then_two(conn: asyncpg.Connection) -> int:
        nonlocal runs
        runs += 1
        await conn.execute("UPDATE retry_probe SET n = n + 1 WHERE id = 1")
        if runs == 1:  # the first run meets b's opposite order
            a_holds_1.set()
            await b_holds_2.wait()
        await conn.execute("UPDATE retry_probe SET n = n + 1 WHERE id = 2")
        return runs

    async def first() -> int:
        async with a.transaction():  # the request's transaction: the retry is a savepoint in it
            return await one_then_two(a)

    async def second() -> None:
        async with b.transaction():
            await b.execute("UPDATE retry_probe SET n = n + 100 WHERE id = 2")
            b_holds_2.set()
            await a_holds_1.wait()
            await asyncio.sleep(0.2)  # a waits first, so a's deadlock check finds the cycle
            await b.execute("UPDATE retry_probe SET n = n + 100 WHERE id = 1")

    try:
        result, _ = await asyncio.gather(first(), second())
        assert result == 2  # aborted once, then done
        rows = dict(await a.fetch("SELECT id, n FROM retry_probe"))
        assert rows == {1: 101, 2: 101}  # both committed, a's first run left nothing behind
    finally:
        await a.execute("DROP TABLE retry_probe")
        await a.close()
        await b.close()


async def test_a_conflict_that_keeps_coming_is_raised_after_the_last_attempt(conn):
    runs = 0

    @retry_on_conflict
    async def always_aborted(connection: asyncpg.Connection) -> None:
        nonlocal runs
        runs += 1
        await connection.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$"
        )

    with pytest.raises(asyncpg.DeadlockDetectedError):
        await always_aborted(conn)
    assert runs == 3
    assert await conn.fetchval("SELECT 1") == 1  # the caller's transaction is still usable
