"""Live events when Redis fails: the stream ends cleanly and the client resumes, no error."""

from __future__ import annotations

import asyncio

import pytest

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
