import pytest
from arq.worker import Worker, func
from redis.exceptions import RedisError

from agora.outbox import count_pending, enqueue, job_id, relay_pending
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
