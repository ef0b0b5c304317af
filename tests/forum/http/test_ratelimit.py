"""Rate limits in Redis: a gap between posts, a daily thread cap, staff exempt, fail open."""

from __future__ import annotations

import httpx

from agora.app import create_app
from agora.redis import create_redis
from tests.conftest import create_course
from tests.forum.conftest import Forum


async def limited_course(conn, **forum_settings):
    return await create_course(conn, settings_json={"forum": forum_settings})


async def test_posting_too_fast_is_429_with_retry_after(conn, client):
    course = await limited_course(conn, post_interval_seconds=30)
    forum = Forum(client, course)
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    response = await client.post(
        f"/api/v1/threads/{thread_id}/posts", json={"body": "x"}, headers=course.alice.headers
    )
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["retry-after"]) <= 30
    await forum.reply(course.bob, thread_id)  # per user
    await forum.reply(course.ta, thread_id)  # staff exempt
    await forum.reply(course.ta, thread_id)


async def test_daily_thread_cap(conn, client):
    course = await limited_course(conn, post_interval_seconds=0, threads_per_day=2)
    forum = Forum(client, course)
    await forum.thread(course.alice)
    await forum.thread(course.alice)
    third = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "t", "body": "b"},
        headers=course.alice.headers,
    )
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 80_000
    for _ in range(3):
        await forum.thread(course.instructor)


async def test_rate_limits_fail_open_when_redis_is_down(conn, settings, database):
    course = await limited_course(conn, post_interval_seconds=30)
    dead_redis = create_redis("redis://127.0.0.1:1/0")
    app = create_app(settings, database=database, redis=dead_redis)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local"
        ) as client:
            forum = Forum(client, course)
            thread_id = (await forum.thread(course.alice))["thread"]["id"]
            await forum.reply(course.alice, thread_id)  # would be 429 with Redis up
            assert (await forum.read(course.bob, thread_id))["thread"]["reply_count"] == 1
    finally:
        await dead_redis.aclose()
