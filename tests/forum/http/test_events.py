"""Server-sent events over real HTTP (uvicorn in this event loop), fanned out through Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import msgspec
import pytest
import uvicorn

from agora import events


@pytest.fixture
async def server(app):
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    instance = uvicorn.Server(config)
    instance.install_signal_handlers = lambda: None  # the test runner owns signals
    task = asyncio.create_task(instance.serve())
    for _ in range(500):
        if instance.started:
            break
        await asyncio.sleep(0.01)
    port = instance.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    await task


class Listener:
    """Collects the SSE events one member receives."""

    def __init__(self, base_url, course, who, last_event_id=None):
        self.url = f"{base_url}/api/v1/courses/{course.id}/events"
        self.headers = who.headers | ({"Last-Event-ID": last_event_id} if last_event_id else {})
        self.events: list[dict] = []
        self.raw: list[str] = []
        self.status = None
        self._task = None

    async def __aenter__(self):
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self):
        async with httpx.AsyncClient(timeout=30) as client:
            async with client.stream("GET", self.url, headers=self.headers) as response:
                self.status = response.status_code
                event = {}
                async for line in response.aiter_lines():
                    self.raw.append(line)
                    if not line:
                        if event.get("data"):
                            event["data"] = json.loads(event["data"])
                            self.events.append(event)
                        event = {}
                    elif not line.startswith(":"):
                        key, _, value = line.partition(": ")
                        event[key] = value

    async def wait_for(self, count, seconds=5.0):
        for _ in range(int(seconds / 0.02)):
            if len(self.events) >= count:
                break
            await asyncio.sleep(0.02)
        assert len(self.events) >= count, self.events
        return self.events

    async def __aexit__(self, *exc):
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self._task


async def subscribers(app, course, count):
    """Wait until `count` SSE streams of the course listen on this process's hub."""
    for _ in range(250):
        hub = getattr(app.state, "event_hub", None)
        if hub is not None and hub.count(course.id) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the SSE streams never subscribed")


async def test_new_post_reaches_every_subscriber_after_commit(
    server, app, forum, course, redis, drain
):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await drain()
    async with (
        Listener(server, course, course.bob) as bob,
        Listener(server, course, course.ta) as ta,
    ):
        await subscribers(app, course, 2)
        reply = await forum.reply(course.carol, thread_id, body="hello")
        assert bob.events == []  # nothing before the outbox is relayed (after commit)
        await drain()
        [event] = await bob.wait_for(1)
        assert event["event"] == "post_created" and event["id"]
        assert (
            event["data"]["post_id"] == reply["id"] and event["data"]["author"]["name"] == "Carol"
        )
        assert (await ta.wait_for(1))[0]["data"]["post_id"] == reply["id"]


async def test_events_respect_anonymity_per_viewer(server, app, forum, course, redis, drain):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await drain()
    async with (
        Listener(server, course, course.bob) as bob,
        Listener(server, course, course.ta) as ta,
    ):
        await subscribers(app, course, 2)
        await forum.reply(course.carol, thread_id, body="peers", anonymity="peers")
        await forum.reply(course.carol, thread_id, body="all", anonymity="all")
        await drain()
        peers_bob, all_bob = await bob.wait_for(2)
        peers_ta, all_ta = await ta.wait_for(2)
    assert peers_bob["data"]["author"] == {
        "id": None,
        "name": "Anonymous",
        "anonymous": True,
        "is_me": False,
        "role": None,
    }
    assert all_bob["data"]["author"]["id"] is None
    assert peers_ta["data"]["author"]["name"] == "Carol"
    assert (
        all_ta["data"]["author"]["id"] is None and all_ta["data"]["author"]["name"] == "Anonymous"
    )
    assert not any("Carol" in line for line in bob.raw)
    # What Redis keeps of a post anonymous to all names nobody. (Searching the raw payload for the
    # author's id as digits matched unrelated numbers whenever the ids were small.)
    stored = [msgspec.json.decode(fields[b"e"]) for _, fields in await redis.xrange(
        events.stream_key(course.id)
    )]  # fmt: skip
    authors = [e["data"]["author"] for e in stored if "author" in e["data"]]
    hidden = [a for a in authors if a["anonymity"] == "all"]
    assert hidden and all(a == {"id": None, "name": "Anonymous", "anonymity": "all",
                                "role": None} for a in hidden)  # fmt: skip


async def test_hidden_posts_and_threads_are_not_sent_to_learners(
    server, app, forum, course, client, redis, drain
):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.carol, thread_id)
    await drain()
    async with (
        Listener(server, course, course.bob) as bob,
        Listener(server, course, course.ta) as ta,
    ):
        await subscribers(app, course, 2)
        await client.post(
            f"/api/v1/threads/{thread_id}/state",
            json={"action": "hide", "reason": "spam"},
            headers=course.ta.headers,
        )
        await client.post(
            f"/api/v1/threads/{thread_id}/state", json={"action": "pin"}, headers=course.ta.headers
        )
        await drain()
        await ta.wait_for(2)
        await asyncio.sleep(0.2)
        assert bob.events == []
        assert {e["event"] for e in ta.events} == {"thread_state"}
    assert reply


async def test_last_event_id_resumes_where_the_client_left(
    server, app, forum, course, redis, drain
):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await drain()
    async with Listener(server, course, course.bob) as first:
        await subscribers(app, course, 1)
        await forum.reply(course.carol, thread_id, body="one")
        await drain()
        [seen] = await first.wait_for(1)
    missed = [await forum.reply(course.carol, thread_id, body=b) for b in ("two", "three")]
    await drain()  # published while bob was away
    async with Listener(server, course, course.bob, last_event_id=seen["id"]) as resumed:
        replayed = await resumed.wait_for(2)
        assert [e["data"]["post_id"] for e in replayed] == [m["id"] for m in missed]
        await subscribers(app, course, 1)
        live = await forum.reply(course.carol, thread_id, body="four")
        await drain()
        events_now = await resumed.wait_for(3)
        assert events_now[2]["data"]["post_id"] == live["id"]
        assert len({e["id"] for e in events_now}) == 3


async def test_vote_and_edit_events(server, app, forum, course, client, redis, drain):
    reply = await forum.reply(course.carol, (await forum.thread(course.alice))["thread"]["id"])
    await drain()
    async with Listener(server, course, course.bob) as bob:
        await subscribers(app, course, 1)
        await client.put(
            f"/api/v1/posts/{reply['id']}/vote", json={"value": 1}, headers=course.alice.headers
        )
        await client.patch(
            f"/api/v1/posts/{reply['id']}", json={"body": "better"}, headers=course.carol.headers
        )
        await drain()
        vote, edit = await bob.wait_for(2)
    assert vote["event"] == "vote_changed" and vote["data"]["score"] == 1
    assert edit["event"] == "post_edited" and edit["data"]["post_id"] == reply["id"]


async def test_events_of_another_course_are_404_and_banned_members_403(
    server, course, other_course, client
):
    async with httpx.AsyncClient(base_url=server) as http:
        response = await http.get(
            f"/api/v1/courses/{course.id}/events", headers=other_course.bob.headers
        )
        assert response.status_code == 404
        await client.put(
            f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions",
            json={"kind": "ban"},
            headers=course.ta.headers,
        )
        response = await http.get(f"/api/v1/courses/{course.id}/events", headers=course.bob.headers)
        assert response.status_code == 403


async def test_streams_in_one_process_share_one_redis_subscription(
    server, app, forum, course, redis
):
    async with Listener(server, course, course.bob), Listener(server, course, course.carol):
        async with Listener(server, course, course.ta):
            await subscribers(app, course, 3)
            assert await redis.pubsub_numpat() == 1
    for _ in range(100):
        if app.state.event_hub.count(course.id) == 0:
            break
        await asyncio.sleep(0.02)
    assert app.state.event_hub.count(course.id) == 0  # closed streams leave the hub


async def test_events_are_503_when_redis_is_down(course, settings, database):
    from agora.app import create_app
    from agora.redis import create_redis

    dead = create_redis("redis://127.0.0.1:1/0")
    app = create_app(settings, database=database, redis=dead)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get(
                f"/api/v1/courses/{course.id}/events", headers=course.bob.headers
            )
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
    finally:
        await dead.aclose()
