import asyncio
import secrets

import asyncpg
import pytest
from arq.worker import Worker, func
from redis.exceptions import RedisError

from agora.db import Database, init_connection
from agora.embedded import start_redis
from agora.outbox import (
    OutboxRelay,
    count_pending,
    enqueue,
    job_id,
    relay_alive,
    relay_pending,
)
from agora.redis import QUEUE_NAME, create_redis


@pytest.fixture
async def dead_redis(tmp_path):
    """A client for a Redis that is not running (nothing listens on this socket)."""
    client = create_redis(f"unix://{tmp_path}/nobody-home.sock")
    yield client
    await client.aclose()


async def run_recording_worker(redis, seen: list) -> None:
    async def record(ctx, value):
        seen.append(value)

    worker = Worker(
        functions=[func(record, name="record")],
        redis_pool=redis,
        queue_name=QUEUE_NAME,
        burst=True,
        handle_signals=False,
        poll_delay=0.01,
    )
    await worker.main()  # burst: returns when the queue is empty; the pool stays the fixture's


async def test_outbox_row_exists_only_if_the_change_commits(conn):
    async with conn.transaction():
        await enqueue(conn, "record", "kept")
    with pytest.raises(RuntimeError):
        async with conn.transaction():
            await enqueue(conn, "record", "rolled back")
            raise RuntimeError("the change failed")
    rows = await conn.fetch("SELECT args FROM outbox WHERE relayed_at IS NULL")
    assert [r["args"] for r in rows] == [["kept"]]


async def test_relay_with_redis_down_keeps_rows_and_relays_them_once_redis_is_back(
    conn, database, redis, dead_redis
):
    for value in ("a", "b", "c"):
        await enqueue(conn, "record", value)

    with pytest.raises((RedisError, OSError)):
        await relay_pending(database, dead_redis)
    assert await count_pending(conn) == 3
    errors = await conn.fetch("SELECT attempts, last_error FROM outbox")
    assert all(r["attempts"] == 1 and r["last_error"] for r in errors)

    assert await relay_pending(database, redis) == 3
    assert await count_pending(conn) == 0
    assert await relay_pending(database, redis) == 0

    seen: list = []
    await run_recording_worker(redis, seen)
    assert sorted(seen) == ["a", "b", "c"]


async def test_a_row_enqueued_twice_runs_once(conn, database, redis):
    """A relay that dies after enqueueing but before marking the row re-sends it: arq drops it."""
    outbox_id = await enqueue(conn, "record", "only once")
    await redis.enqueue_job("record", "only once", _job_id=job_id(outbox_id))
    assert await relay_pending(database, redis) == 1
    seen: list = []
    await run_recording_worker(redis, seen)
    assert seen == ["only once"]


# ---- the relay task: survives errors, reopens LISTEN, reports its health -------------------------


async def wait_until(condition, *, within: float = 10.0, what: str = "condition"):
    deadline = asyncio.get_running_loop().time() + within
    while not (result := await condition()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.05)
    return result


@pytest.fixture
async def committing(database_url):
    """A connection whose writes commit (the relay's LISTEN only hears committed NOTIFYs); the
    outbox rows it leaves are deleted afterwards so other tests see an empty outbox."""
    connection = await asyncpg.connect(database_url)
    await init_connection(connection)
    first = await connection.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
    yield connection
    await connection.execute("DELETE FROM outbox WHERE id > $1", first)
    await connection.close()


@pytest.fixture
async def relay_pool(database_url):
    """The relay's own pool, its connections named so a test can find and terminate them."""
    name = f"relay-test-{secrets.token_hex(3)}"
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=1,
        init=init_connection,
        server_settings={"application_name": name},
    )
    yield pool, name
    await pool.close()


async def enqueue_committed(connection, value: str) -> int:
    async with connection.transaction():
        return await enqueue(connection, "record", value)


async def in_redis(redis, outbox_id: int) -> bool:
    return bool(await redis.exists(f"arq:job:{job_id(outbox_id)}"))


async def test_relay_listens_again_after_its_listen_connection_is_terminated(
    database_url, committing, relay_pool, redis, tmp_path
):
    pool, _ = relay_pool
    # Polling every 60 s: a row relayed within seconds was woken by NOTIFY, i.e. by LISTEN.
    relay = OutboxRelay(Database(pool=pool), redis, listen_url=database_url, interval=60)
    await relay.start()
    try:
        await wait_until(lambda: asyncio.sleep(0, relay.listener), what="LISTEN")
        first = await enqueue_committed(committing, "before")
        await wait_until(lambda: in_redis(redis, first), within=5, what="relay on NOTIFY")

        old_pid = relay.listener.get_server_pid()
        assert await committing.fetchval("SELECT pg_terminate_backend($1)", old_pid)

        async def listening_again() -> bool:
            listener = relay.listener
            return listener is not None and listener.get_server_pid() != old_pid

        await wait_until(listening_again, within=5, what="a new LISTEN connection")
        second = await enqueue_committed(committing, "after")
        await wait_until(lambda: in_redis(redis, second), within=5, what="relay on NOTIFY")
        assert relay.running
    finally:
        await relay.stop()


async def test_relay_logs_a_dropped_database_connection_and_goes_on(
    database_url, committing, relay_pool, redis, caplog
):
    """The relay's connection is terminated in the middle of its query (asyncpg raises
    ConnectionDoesNotExistError, an InterfaceError): it logs, backs off and relays again."""
    pool, name = relay_pool
    relay = OutboxRelay(Database(pool=pool), redis, interval=0.05, max_backoff=0.2)
    locker = await asyncpg.connect(database_url)
    try:
        lock = locker.transaction()
        await lock.start()
        await locker.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
        await relay.start()

        async def blocked_relay_pid() -> int | None:
            return await committing.fetchval(
                """SELECT pid FROM pg_stat_activity
                    WHERE application_name = $1 AND wait_event_type = 'Lock'""",
                name,
            )

        pid = await wait_until(blocked_relay_pid, what="the relay waiting on the lock")
        assert await committing.fetchval("SELECT pg_terminate_backend($1)", pid)

        def logged() -> bool:
            return any(
                r.name == "agora.outbox" and "retrying" in r.getMessage() for r in caplog.records
            )

        await wait_until(lambda: asyncio.sleep(0, logged()), what="the error logged")
        await lock.rollback()

        outbox_id = await enqueue_committed(committing, "after the error")
        await wait_until(lambda: in_redis(redis, outbox_id), what="relaying again")
        assert relay.running
    finally:
        await relay.stop()
        await locker.close()


async def test_relay_logs_redis_going_away_and_relays_once_it_is_back(
    committing, relay_pool, tmp_path, caplog
):
    pool, _ = relay_pool
    url, stop = start_redis(tmp_path)
    client = create_redis(url)
    relay = OutboxRelay(Database(pool=pool), client, interval=0.05, max_backoff=0.2)
    try:
        await relay.start()
        first = await enqueue_committed(committing, "before")
        await wait_until(lambda: in_redis(client, first), what="relaying")

        stop()
        await wait_until(lambda: asyncio.sleep(0, not (tmp_path / "redis/redis.sock").exists()))
        second = await enqueue_committed(committing, "while Redis is down")

        def logged() -> bool:
            return any(
                r.name == "agora.outbox" and "retrying" in r.getMessage() for r in caplog.records
            )

        await wait_until(lambda: asyncio.sleep(0, logged()), what="the Redis error logged")
        url_again, stop = start_redis(tmp_path)
        assert url_again == url
        await wait_until(lambda: in_redis(client, second), what="relaying after the restart")
        assert relay.running
    finally:
        await relay.stop()
        await client.aclose()
        stop()


async def test_health_fails_when_the_relay_task_is_dead(relay_pool, redis, tmp_path):
    health = tmp_path / "worker.health"
    exits: list[str] = []
    relay = OutboxRelay(
        Database(pool=relay_pool[0]),
        redis,
        interval=0.05,
        health_path=health,
        on_exit=lambda: exits.append("exit"),
    )
    assert not relay_alive(health)
    await relay.start()
    await wait_until(lambda: asyncio.sleep(0, relay_alive(health)), what="a health beat")

    relay._task.cancel()  # the task dies without stop(): what a bug or a BaseException would do
    await wait_until(lambda: asyncio.sleep(0, not relay.running), what="the task to end")
    assert not relay_alive(health)
    assert exits == ["exit"]


async def test_health_fails_when_the_relay_stops_beating(relay_pool, redis, tmp_path):
    health = tmp_path / "worker.health"
    relay = OutboxRelay(Database(pool=relay_pool[0]), redis, interval=0.05, health_path=health)
    await relay.start()
    try:
        await wait_until(lambda: asyncio.sleep(0, relay_alive(health)), what="a health beat")
        assert not relay_alive(health, max_age=0.0)  # a stuck relay: its last beat is too old
    finally:
        await relay.stop()
    assert not relay_alive(health)  # stopped: the file is gone at once
