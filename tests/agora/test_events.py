"""Live events when Redis fails: the stream ends cleanly and the client resumes, no error."""

from __future__ import annotations

import asyncio

import pytest
from redis import exceptions as redis_errors

from agora.events import Hub, publish, subscribe
from agora.redis import create_redis
from tests.agora.servers import PrivateRedis


@pytest.fixture
def private_redis(unused_tcp_port, tmp_path):
    server = PrivateRedis(unused_tcp_port, tmp_path)
    server.start()
    yield server
    server.kill()


async def collect(hub: Hub, course_id: int, last_event_id: str, queue=None) -> list[str]:
    """Every event the stream yields before it ends (heartbeats aside)."""
    events = []
    async with asyncio.timeout(10):
        async for event in subscribe(hub, course_id, last_event_id, queue=queue, heartbeat=0.2):
            if event is None:
                break  # caught up and idle: the test has what it came for
            events.append(event.data["n"])
    return events


async def test_a_replay_with_redis_gone_ends_the_stream_and_the_client_resumes(private_redis):
    await private_redis.wait_up()
    client = create_redis(private_redis.url)
    hub = Hub(client)
    try:
        queue = await hub.add(7)  # subscribed while Redis was up (the 503 check passed)
        private_redis.kill()
        # Replaying after Last-Event-ID now fails: the stream ends, no exception escapes.
        assert await collect(hub, 7, "0-0", queue=queue) == []
        assert hub.count(7) == 0

        private_redis.start()
        await private_redis.wait_up()
        await publish(client, 7, "post_created", {"n": 1})
        await publish(client, 7, "post_created", {"n": 2})
        # The client comes back with the same Last-Event-ID and gets what it missed.
        assert await collect(hub, 7, "0-0") == [1, 2]
    finally:
        await client.aclose()


async def test_a_replay_while_redis_loads_its_data_ends_the_stream_cleanly(private_redis):
    """After a restart Redis answers LOADING (BusyLoadingError) until its data is read back;
    subscribing works meanwhile, replaying does not: the stream ends and the client resumes."""
    await private_redis.wait_up()
    client = create_redis(private_redis.url)
    try:
        # Enough data that reading it back takes a moment (about half a second here).
        await client.execute_command("DEBUG", "POPULATE", 600_000)
        await client.save()
        private_redis.kill()
        private_redis.start()  # it reads back the dump SAVE wrote
        async with asyncio.timeout(10):
            while True:  # until Redis answers, and answers LOADING
                try:
                    await client.xrange("probe")
                except redis_errors.BusyLoadingError:
                    break
                except (OSError, redis_errors.ConnectionError):
                    await asyncio.sleep(0.01)
                    continue
                pytest.fail("Redis finished loading before the test could replay")
        hub = Hub(client)
        queue = await hub.add(8)
        assert await collect(hub, 8, "0-0", queue=queue) == []

        async with asyncio.timeout(20):
            while True:
                try:
                    await publish(client, 8, "post_created", {"n": 1})
                    break
                except redis_errors.BusyLoadingError:
                    await asyncio.sleep(0.05)
        assert await collect(hub, 8, "0-0") == [1]
    finally:
        await client.aclose()
