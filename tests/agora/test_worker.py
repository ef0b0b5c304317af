"""The worker: every job names a timeout that fits it, a killed worker's job comes back within a
lease, and the worker stops (to be restarted) when its outbox relay dies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import asyncpg
import pytest
from arq import Retry
from arq.constants import in_progress_key_prefix
from arq.jobs import Job
from arq.worker import func

from agora.db import Database
from agora.redis import QUEUE_NAME, create_redis, redis_settings
from agora.worker import (
    JOB_TIMEOUT,
    AgoraWorker,
    build_worker,
    cron_jobs,
    job_functions,
    retry_delay,
)
from tests.agora.servers import PrivateRedis

# The bound of each class of job, in seconds, and the class of every registered function: a new
# job must be classified here (and given a timeout within its class) for this test to pass.
SECONDS, MINUTES, LONG = 60, 300, 1800
CLASSES = {
    "forum_publish": SECONDS,
    "forum_notify_post": SECONDS,
    "forum_notify_endorsement": SECONDS,
    "forum_email_digest": SECONDS,
    "forum_grade_sweep": SECONDS,  # enqueues one job per open graded board
    "forum_grade_board": MINUTES,  # one set-based read and record of a board's scores
    "forum_announce_batch": MINUTES,  # batches for up to 30 s, then a continuation job
    "lti_publish_score": MINUTES,
    "lti_publish_scores": MINUTES,
    "lti_sync_roster": MINUTES,
    "peerreview_passback": MINUTES,
    "peerreview_review_quality": MINUTES,
    "peerreview_deadlines": MINUTES,
    "peerreview_reminders": MINUTES,
    "peerreview_email_reminders": MINUTES,
    "prune_outbox": MINUTES,
    "prune_idempotency_keys": MINUTES,
    "forum_sweep_attachments": MINUTES,  # lists the store's files, deletes the orphans
    "peerreview_sweep_attachments": MINUTES,
    "peerreview_allocate": LONG,
    "peerreview_grade": LONG,
    "agora_build_evidence": LONG,  # reads a term of a MOOC's forum and peer review once
}


def test_every_job_names_a_timeout_within_its_class():
    functions = {f.name: f for f in job_functions()}
    assert set(functions) == set(CLASSES)
    for name, function in functions.items():
        assert function.timeout_s is not None, name
        assert 0 < function.timeout_s <= CLASSES[name], name
    for job in cron_jobs():
        assert job.timeout_s is not None and 0 < job.timeout_s <= CLASSES[job.name.split(":")[-1]]
    assert JOB_TIMEOUT <= SECONDS  # the default for a function that names none is short


def test_live_events_and_notifications_time_out_in_seconds_not_half_an_hour():
    timeouts = {f.name: f.timeout_s for f in job_functions()}
    assert timeouts["forum_publish"] <= 30
    assert timeouts["forum_notify_post"] <= 60
    assert timeouts["peerreview_allocate"] == 1800


KILLED_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from arq.worker import func
    from agora.redis import QUEUE_NAME, create_redis
    from agora.worker import AgoraWorker

    async def block(ctx):
        await asyncio.sleep(3600)

    async def main():
        worker = AgoraWorker(
            functions=[func(block, name="block", timeout=1800)],
            lease=float(sys.argv[2]),
            redis_pool=create_redis(sys.argv[1]),
            queue_name=QUEUE_NAME,
            handle_signals=False,
            poll_delay=0.05,
        )
        await worker.main()

    asyncio.run(main())
    """
)


async def test_a_job_whose_worker_is_killed_runs_again_within_its_lease(
    redis, server_urls, tmp_path
):
    """arq alone would keep a 30-minute job's in-progress key for 1,810 s after a kill."""
    lease = 1.5
    await redis.enqueue_job("block", _job_id="the-job")
    key = in_progress_key_prefix + "the-job"
    script = tmp_path / "worker.py"
    script.write_text(KILLED_WORKER)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        server_urls["redis"],
        str(lease),
        cwd=os.getcwd(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not await redis.exists(key):
            assert time.monotonic() < deadline, "the first worker never claimed the job"
            await asyncio.sleep(0.05)
        assert 0 < await redis.pttl(key) <= lease * 1000  # a lease, not timeout + 10 s
        await asyncio.sleep(lease * 2)
        assert await redis.exists(key), "a running job's lease is renewed"
    finally:
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), timeout=10)
    killed_at = time.monotonic()

    tries: list[int] = []

    async def block(ctx):
        tries.append(ctx["job_try"])

    second = AgoraWorker(
        functions=[func(block, name="block", timeout=1800)],
        lease=lease,
        redis_pool=redis,
        queue_name=QUEUE_NAME,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
    )
    await asyncio.wait_for(second.main(), timeout=lease + 10)
    assert tries == [2]
    assert time.monotonic() - killed_at <= lease + 2


async def test_the_worker_stops_when_its_outbox_relay_dies(settings, redis, tmp_path):
    health = tmp_path / "worker.health"
    worker = build_worker(settings, redis=redis, handle_signals=False, health_path=health)
    running = asyncio.create_task(worker.async_run())
    try:
        deadline = time.monotonic() + 20
        while not health.exists():
            assert time.monotonic() < deadline, "the relay never beat"
            await asyncio.sleep(0.05)
        worker.ctx["outbox_relay"]._task.cancel()  # the relay dies without being stopped
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(running, timeout=10)
        assert worker.failure == "the outbox relay stopped"
        assert not health.exists()
    finally:
        running.cancel()
        await worker.on_shutdown(worker.ctx)  # not close(): that would close the fixture's Redis


async def test_a_job_failing_on_a_dropped_database_connection_runs_again(database_url, redis):
    """The first run loses its connection (its backend is terminated, as in a PostgreSQL
    restart): arq is asked to retry, and the second run succeeds. A bug is not retried."""
    runs: list[int] = []

    async def flaky(ctx):
        runs.append(ctx["job_try"])
        connection = await asyncpg.connect(database_url)
        try:
            if ctx["job_try"] == 1:
                await connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            return await connection.fetchval("SELECT 1")
        finally:
            connection.terminate()

    async def buggy(ctx):
        runs.append(-ctx["job_try"])
        raise ValueError("a bug, not an outage")

    await redis.enqueue_job("flaky", _job_id="flaky")
    await redis.enqueue_job("buggy", _job_id="buggy")
    worker = AgoraWorker(
        functions=[func(flaky, name="flaky", timeout=10), func(buggy, name="buggy", timeout=10)],
        redis_pool=redis,
        queue_name=QUEUE_NAME,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
    )
    await asyncio.wait_for(worker.main(), timeout=20)
    assert sorted(runs) == [-1, 1, 2]
    assert (await Job("flaky", redis).result_info()).success
    assert worker.jobs_retried == 1 and worker.jobs_failed == 1


def test_retry_delays_grow_and_are_bounded():
    assert [retry_delay(t) for t in (1, 2, 3, 4, 7, 8, 20)] == [1, 2, 4, 8, 60, 60, 60]


@pytest.fixture
def private_redis(unused_tcp_port, tmp_path):
    server = PrivateRedis(unused_tcp_port, tmp_path)
    yield server
    server.kill()


async def test_the_worker_starts_with_redis_down_and_rides_out_a_redis_outage(private_redis):
    """arq gives up and exits when Redis is down at start or goes away while it polls; this
    worker waits, reconnects with backoff and runs the jobs enqueued once Redis is back."""
    ran: list[str] = []

    async def record(ctx, value):
        ran.append(value)

    worker = AgoraWorker(
        functions=[func(record, name="record", timeout=10)],
        redis_settings=redis_settings(private_redis.url),
        queue_name=QUEUE_NAME,
        handle_signals=False,
        poll_delay=0.05,
    )
    running = asyncio.create_task(worker.main())

    async def enqueue_and_wait(value: str) -> None:
        client = create_redis(private_redis.url)
        try:
            await client.enqueue_job("record", value)
        finally:
            await client.aclose()
        deadline = time.monotonic() + 30
        while value not in ran:
            assert not running.done(), running.exception()
            assert time.monotonic() < deadline, f"job {value} never ran"
            await asyncio.sleep(0.05)

    try:
        await asyncio.sleep(1.5)
        assert not running.done(), "the worker gave up while Redis was down"
        private_redis.start()
        await private_redis.wait_up()
        await enqueue_and_wait("after start")

        private_redis.kill()
        await asyncio.sleep(1.5)
        assert not running.done(), "the worker ended when Redis went away"
        private_redis.start()
        await private_redis.wait_up()
        await enqueue_and_wait("after outage")
        assert ran == ["after start", "after outage"]
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await worker.pool.aclose()  # not worker.close(): arq's calls redis' deprecated close()


async def test_a_job_that_cannot_open_a_database_connection_runs_again(
    database_url, redis, tmp_path
):
    """While PostgreSQL restarts, agora.db raises DatabaseUnreachable (a 503 in the app): for a
    job that is an outage to wait out, not a failure (reply notifications were lost this way)."""
    gone = await asyncpg.create_pool(
        f"postgresql://postgres@/none?host={tmp_path}/no-socket", min_size=0, timeout=1
    )
    back = await asyncpg.create_pool(database_url, min_size=0, max_size=1)
    runs: list[int] = []

    async def notify(ctx):
        runs.append(ctx["job_try"])
        database = Database(pool=gone if ctx["job_try"] == 1 else back)
        async with database.acquire() as connection:
            return await connection.fetchval("SELECT 1")

    await redis.enqueue_job("notify", _job_id="notify")
    worker = AgoraWorker(
        functions=[func(notify, name="notify", timeout=10)],
        redis_pool=redis,
        queue_name=QUEUE_NAME,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
    )
    try:
        await asyncio.wait_for(worker.main(), timeout=20)
    finally:
        await gone.close()
        await back.close()
    assert runs == [1, 2]
    assert (await Job("notify", redis).result_info()).success


async def test_a_job_waits_out_an_outage_longer_than_its_tries_and_still_runs(
    database_url, redis, tmp_path
):
    """Fifteen runs without PostgreSQL (more than MAX_TRIES, which used to drop the job and its
    side effect after about five minutes): the job runs again until the database is back."""
    gone = await asyncpg.create_pool(
        f"postgresql://postgres@/none?host={tmp_path}/no-socket", min_size=0, timeout=1
    )
    back = await asyncpg.create_pool(database_url, min_size=0, max_size=1)
    runs: list[int] = []

    async def notify(ctx):
        runs.append(ctx["job_try"])
        database = Database(pool=gone if ctx["job_try"] <= 15 else back)
        async with database.acquire() as connection:
            return await connection.fetchval("SELECT 1")

    await redis.enqueue_job("notify", _job_id="notify-long-outage")
    worker = AgoraWorker(
        functions=[func(notify, name="notify", timeout=10)],
        redis_pool=redis, queue_name=QUEUE_NAME, burst=True, handle_signals=False,
        poll_delay=0.01, retry_delay_of=lambda job_try: 0.01,
    )  # fmt: skip
    try:
        await asyncio.wait_for(worker.main(), timeout=60)
    finally:
        await gone.close()
        await back.close()
    assert runs == list(range(1, 17))
    assert (await Job("notify-long-outage", redis).result_info()).success


async def test_a_job_still_failing_past_the_outage_limit_gives_up(redis, tmp_path):
    runs: list[int] = []

    async def never(ctx):
        runs.append(ctx["job_try"])
        raise ConnectionRefusedError("nobody listens")

    await redis.enqueue_job("never", _job_id="never")
    worker = AgoraWorker(
        functions=[func(never, name="never", timeout=10)],
        redis_pool=redis, queue_name=QUEUE_NAME, burst=True, handle_signals=False,
        poll_delay=0.01, retry_delay_of=lambda job_try: 0.05,
        outage_limit=timedelta(seconds=0.5),
    )  # fmt: skip
    await asyncio.wait_for(worker.main(), timeout=30)
    assert len(runs) >= 3  # retried while within the limit
    assert not (await Job("never", redis).result_info()).success


async def test_a_job_asking_to_run_again_is_bounded_by_its_own_max_tries(redis):
    runs: list[int] = []

    async def again(ctx):
        runs.append(ctx["job_try"])
        raise Retry(defer=0.01)

    await redis.enqueue_job("again", _job_id="again")
    worker = AgoraWorker(
        functions=[func(again, name="again", timeout=10, max_tries=3)],
        redis_pool=redis, queue_name=QUEUE_NAME, burst=True, handle_signals=False,
        poll_delay=0.01,
    )  # fmt: skip
    await asyncio.wait_for(worker.main(), timeout=30)
    assert runs == [1, 2, 3]
    assert not (await Job("again", redis).result_info()).success
