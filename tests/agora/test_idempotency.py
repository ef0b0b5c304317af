"""Idempotency-Key on creates: a retry after a lost answer replays the first answer, writes once."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import httpx
import msgspec
import pytest

from agora.app import create_app
from agora.db import Database, init_connection, migrate
from agora.queries import idempotency as idempotency_queries
from agora.worker import prune_idempotency_keys
from tests.conftest import _with_database, create_course
from tests.peerreview.helpers import create_assignment, set_phase


async def create_thread(client, course, member, key: str | None, title: str = "Lost answer"):
    headers = {**member.headers, **({"Idempotency-Key": key} if key else {})}
    return await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": title, "body": "Did my thread go through?"},
        headers=headers,
    )


async def count_threads(conn, course, title: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM forum_threads WHERE course_id = $1 AND title = $2", course.id, title
    )


async def test_a_retried_thread_create_returns_the_same_thread_and_writes_one(client, conn, course):
    first = await create_thread(client, course, course.alice, "thread-7f3a")
    retry = await create_thread(client, course, course.alice, "thread-7f3a")
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json()["thread"]["id"] == first.json()["thread"]["id"]
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await count_threads(conn, course, "Lost answer") == 1


async def test_without_a_key_each_create_writes(client, conn, course):
    for member in (course.alice, course.bob):
        assert (await create_thread(client, course, member, None)).status_code == 201
    assert await count_threads(conn, course, "Lost answer") == 2


async def test_the_same_key_with_another_body_is_422_and_writes_nothing(client, conn, course):
    await create_thread(client, course, course.alice, "k1", title="First")
    other = await create_thread(client, course, course.alice, "k1", title="Second")
    assert other.status_code == 422, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    assert await count_threads(conn, course, "Second") == 0


async def test_keys_belong_to_one_user(client, conn, course):
    mine = await create_thread(client, course, course.alice, "shared-key")
    theirs = await create_thread(client, course, course.bob, "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["thread"]["id"] != theirs.json()["thread"]["id"]
    assert await count_threads(conn, course, "Lost answer") == 2


async def test_an_overlong_or_blank_key_is_400(client, conn, course):
    for key in ("x" * 201, "has space"):
        response = await create_thread(client, course, course.alice, key)
        assert response.status_code == 400, response.text
    assert await count_threads(conn, course, "Lost answer") == 0


async def test_a_failed_create_does_not_use_up_its_key(client, conn, course):
    """The claim is rolled back with the failed write, so the same request can be retried."""
    url = f"/api/v1/courses/{course.id}/threads"
    body = {"title": "Where?", "body": "Nowhere", "board_id": 999_999}
    headers = {**course.alice.headers, "Idempotency-Key": "retry-me"}
    assert (await client.post(url, json=body, headers=headers)).status_code == 404
    assert (await client.post(url, json=body, headers=headers)).status_code == 404
    assert (
        await idempotency_queries.select_answer(conn, course.id, course.alice.user_id, "retry-me")
    ) is None


async def test_a_retried_reply_creates_one_post_and_one_notification_job(client, conn, course):
    thread = (await create_thread(client, course, course.alice, None)).json()["thread"]
    url = f"/api/v1/threads/{thread['id']}/posts"
    headers = {**course.bob.headers, "Idempotency-Key": "reply-1"}
    first = await client.post(url, json={"body": "Yes it did"}, headers=headers)
    retry = await client.post(url, json={"body": "Yes it did"}, headers=headers)
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json()["id"] == first.json()["id"]
    posts = await conn.fetchval(
        "SELECT count(*) FROM forum_posts WHERE course_id = $1 AND thread_id = $2",
        course.id,
        thread["id"],
    )
    assert posts == 2  # the opening post and one reply
    jobs = await conn.fetchval(
        "SELECT count(*) FROM outbox WHERE job = 'forum_notify_post' AND args->>1 = $1",
        str(first.json()["id"]),
    )
    assert jobs == 1


async def test_a_retried_submission_replays_its_first_answer(client, conn, course):
    assignment = await create_assignment(client, course)
    await set_phase(client, course, assignment["id"], "submission")
    url = f"/api/v1/assignments/{assignment['id']}/submissions"
    headers = {**course.alice.headers, "Idempotency-Key": "essay-final"}
    first = await client.post(url, json={"body": "My essay"}, headers=headers)
    retry = await client.post(url, json={"body": "My essay"}, headers=headers)
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["idempotent-replayed"] == "true"


async def test_keys_older_than_a_day_are_pruned(client, conn, course, database):
    await create_thread(client, course, course.alice, "old")
    await create_thread(client, course, course.bob, "new", title="New")
    await conn.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'"
    )
    assert await prune_idempotency_keys({"db": database}) == 1
    keys = await conn.fetch("SELECT key FROM idempotency_keys WHERE course_id = $1", course.id)
    assert [r["key"] for r in keys] == ["new"]


@pytest.fixture
async def committed_database(admin_url):
    """A migrated database of its own: concurrent requests need a real pool and committed rows,
    which must not show up in the shared test database (outbox rows, for one)."""
    name = f"agora_idem_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(admin_url, name)
    try:
        connection = await asyncpg.connect(url)
        try:
            await migrate(connection)
        finally:
            await connection.close()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_two_concurrent_requests_with_one_key_write_once(settings, redis, committed_database):
    """A retry sent while the first request still runs (the client timed out) waits for it and
    gets its answer: one thread, two identical answers."""
    pool = await asyncpg.create_pool(
        committed_database, min_size=2, max_size=4, init=init_connection
    )
    try:
        async with pool.acquire() as connection:
            course = await create_course(connection)
        app = create_app(
            msgspec.structs.replace(settings, database_url=committed_database),
            database=Database(pool=pool),
            redis=redis,
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first, second = await asyncio.gather(
                create_thread(client, course, course.alice, "at-once"),
                create_thread(client, course, course.alice, "at-once"),
            )
        async with pool.acquire() as connection:
            threads = await count_threads(connection, course, "Lost answer")
    finally:
        await pool.close()
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json()["thread"]["id"] == second.json()["thread"]["id"]
    assert threads == 1
