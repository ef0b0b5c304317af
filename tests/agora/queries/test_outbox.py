"""agora.queries.outbox on the rolled-back connection (and, for SKIP LOCKED, on two committed
ones): what is pending, what a relay claims, how relayed and failed rows are marked, pruning."""

import asyncio

import asyncpg

from agora.db import init_connection
from agora.queries import outbox as q


async def state(conn, outbox_id: int) -> tuple:
    row = await conn.fetchrow(
        "SELECT relayed_at IS NOT NULL AS relayed, attempts, last_error FROM outbox WHERE id = $1",
        outbox_id,
    )
    return (row["relayed"], row["attempts"], row["last_error"]) if row else None


async def test_pending_jobs_are_claimed_oldest_first_with_their_arguments(conn, course):
    before = await q.count_pending(conn)
    first = await q.insert_job(conn, "notify", [1, {"a": "b"}], course_id=course.id)
    second = await q.insert_job(conn, "passback", [], course_id=None)
    assert await q.count_pending(conn) == before + 2
    claimed = await q.select_pending_for_relay(conn, limit=100)
    ours = [job for job in claimed if job.id in (first, second)]
    assert ours == [
        q.PendingJob(id=first, job="notify", args=[1, {"a": "b"}]),
        q.PendingJob(id=second, job="passback", args=[]),
    ]
    assert len(await q.select_pending_for_relay(conn, limit=1)) == 1


async def test_relayed_rows_leave_the_queue_and_failed_ones_stay_with_their_error(conn):
    before = await q.count_pending(conn)
    sent = await q.insert_job(conn, "notify", [], course_id=None)
    failed = await q.insert_job(conn, "notify", [], course_id=None)
    await q.update_relay_failed(conn, [sent, failed], error="ConnectionError: down")
    assert await state(conn, sent) == (False, 1, "ConnectionError: down")
    await q.update_relayed(conn, [sent])
    assert await state(conn, sent) == (True, 2, None)
    assert await state(conn, failed) == (False, 1, "ConnectionError: down")
    assert await q.count_pending(conn) == before + 1
    assert [j.id for j in await q.select_pending_for_relay(conn, limit=100)].count(sent) == 0


async def test_delete_relayed_prunes_only_rows_relayed_long_enough_ago(conn):
    old = await q.insert_job(conn, "notify", [], course_id=None)
    recent = await q.insert_job(conn, "notify", [], course_id=None)
    pending = await q.insert_job(conn, "notify", [], course_id=None)
    await q.update_relayed(conn, [old, recent])
    await conn.execute(
        "UPDATE outbox SET relayed_at = now() - interval '8 days' WHERE id = $1", old
    )
    assert await q.delete_relayed(conn, older_than_days=7) == 1
    assert await state(conn, old) is None
    assert await state(conn, recent) == (True, 1, None)
    assert await state(conn, pending) == (False, 0, None)


async def test_two_relays_never_claim_the_same_row(database_url):
    """Two relays at once: the second skips the rows the first has locked (and does not wait)."""
    first = await asyncpg.connect(database_url)
    second = await asyncpg.connect(database_url)
    for connection in (first, second):
        await init_connection(connection)
    ours = [await q.insert_job(first, "notify", [n], course_id=None) for n in range(2)]
    try:
        async with first.transaction(), second.transaction():
            by_first = [j.id for j in await q.select_pending_for_relay(first, limit=1)]
            by_second = [
                j.id
                for j in await asyncio.wait_for(
                    q.select_pending_for_relay(second, limit=100), timeout=5
                )
            ]
            assert by_first and not set(by_first) & set(by_second)
            assert set(ours) <= set(by_first) | set(by_second)
        # the first relay's locks went with its transaction
        async with second.transaction():
            again = [j.id for j in await q.select_pending_for_relay(second, limit=100)]
            assert set(ours) <= set(again)
    finally:
        await second.close()
        await first.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", ours)
        await first.close()
