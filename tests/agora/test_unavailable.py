"""PostgreSQL or Redis unavailable, or the process saturated: 503 problem+json with Retry-After,
never a 500 "This is a bug"; and /health and /ready answer without queueing for the pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.di import Provide

from agora.app import create_app
from agora.db import Database, init_connection
from agora.deps import Db
from agora.errors import EXCEPTION_HANDLERS
from agora.redis import create_redis


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["type"].endswith("/unavailable")
    assert "bug" not in body["detail"]


@pytest.fixture
async def one_connection_pool(database_url):
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1, init=init_connection)
    yield pool
    await pool.close()


async def test_api_read_and_write_answer_503_when_postgres_is_unreachable(
    settings, unreachable_database, redis, course
):
    app = create_app(settings, database=unreachable_database, redis=redis)
    async with client_for(app) as client:
        url = f"/api/v1/courses/{course.id}/threads"
        read = await client.get(url, headers=course.alice.headers)
        write = await client.post(
            f"/api/v1/courses/{course.id}/threads",
            headers=course.alice.headers,
            json={"title": "Hello", "body": "Is anyone there?"},
        )
    assert_unavailable(read)
    assert_unavailable(write)


async def test_redis_unreachable_is_503_with_retry_after(
    settings, database, unreachable_redis, course
):
    """Live events need Redis: the stream is refused with a 503 the client retries after."""
    app = create_app(settings, database=database, redis=unreachable_redis)
    async with client_for(app) as client:
        response = await client.get(
            f"/api/v1/courses/{course.id}/events", headers=course.alice.headers
        )
    assert_unavailable(response)


async def test_any_redis_connection_error_escaping_a_handler_is_503(tmp_path):
    """The error mapping itself: a real Redis client failing to connect inside a handler."""
    redis = create_redis(f"unix://{tmp_path}/no-redis.sock")

    @get("/count")
    async def count() -> dict[str, int]:
        return {"n": int(await redis.incr("n"))}

    app = Litestar([count], exception_handlers=EXCEPTION_HANDLERS)
    async with client_for(app) as client:
        response = await client.get("/count")
    await redis.aclose()
    assert_unavailable(response)
    assert "Redis" in response.json()["detail"]


async def test_a_saturated_pool_answers_503_within_its_bound(settings, one_connection_pool, redis):
    database = Database(pool=one_connection_pool, acquire_timeout=0.3)
    app = create_app(settings, database=database, redis=redis)
    async with database.acquire(), client_for(app) as client:  # the only connection is busy
        async with asyncio.timeout(5):  # without a bound the request would wait for ever
            response = await client.get("/lti/jwks")
    assert_unavailable(response)


async def test_ready_and_health_do_not_wait_in_the_pool_queue(
    settings, one_connection_pool, redis, database_url
):
    database = Database(pool=one_connection_pool, dsn=database_url, acquire_timeout=10)
    app = create_app(settings, database=database, redis=redis)
    async with database.acquire(), client_for(app) as client:
        async with asyncio.timeout(5):
            ready = await client.get("/ready")
            health = await client.get("/health")
    assert ready.status_code == 200, ready.text
    assert health.status_code == 200


async def test_requests_past_the_concurrency_limit_are_shed_with_503(
    settings, database, redis, course
):
    limited = msgspec.structs.replace(settings, max_requests=1, queue_timeout=0.3)
    app = create_app(limited, database=database, redis=redis)
    url = f"/api/v1/courses/{course.id}/threads"
    async with client_for(app) as client:
        async with database.acquire():  # the test holds the connection: the first request waits
            first = asyncio.create_task(client.get(url, headers=course.alice.headers))
            await asyncio.sleep(0.1)
            shed = await client.get(url, headers=course.bob.headers)
            health = await client.get("/health")
        assert (await first).status_code == 200
        after = await client.get(url, headers=course.bob.headers)
    assert_unavailable(shed)
    assert health.status_code == 200
    assert after.status_code == 200


async def test_returning_a_connection_that_fails_after_commit_does_not_raise(database_url):
    """The write committed; a failure while the pool resets the connection must not turn the
    acknowledged write into an error (asyncpg closes such a connection itself)."""

    async def broken_reset(connection: asyncpg.Connection) -> None:
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection lost after commit")

    pool = await asyncpg.create_pool(database_url, min_size=0, max_size=1, reset=broken_reset)
    database = Database(pool=pool)
    try:
        async with database.acquire() as connection:
            async with connection.transaction():
                value = await connection.fetchval("SELECT 41 + 1")
        assert value == 42
        async with database.acquire() as connection:  # the pool replaced the closed connection
            assert await connection.fetchval("SELECT 1") == 1
    finally:
        await pool.close()


async def test_postgres_socket_gone_while_it_restarts_is_503(settings, redis, course, tmp_path):
    """While PostgreSQL restarts its unix socket is gone: connecting raises FileNotFoundError,
    an OSError that is no ConnectionError; it must still be a 503."""
    pool = await asyncpg.create_pool(
        f"postgresql://postgres@/none?host={tmp_path}/no-such-dir", min_size=0, timeout=1
    )
    try:
        app = create_app(settings, database=Database(pool=pool), redis=redis)
        async with client_for(app) as client:
            url = f"/api/v1/courses/{course.id}/threads"
            response = await client.get(url, headers=course.alice.headers)
    finally:
        await pool.close()
    assert_unavailable(response)


async def test_a_connection_dropped_under_a_write_is_503_not_500(database_url, admin_url):
    """PostgreSQL terminates the connection while a write runs: the handler fails, then the
    request's transaction cannot even roll back, and Litestar reports both as an ExceptionGroup
    from the dependency's cleanup. That is an outage (503), not a bug (500)."""
    pool = await asyncpg.create_pool(database_url, min_size=0, max_size=1)
    database = Database(pool=pool)

    async def provide_db() -> AsyncIterator[asyncpg.Connection]:
        async with database.acquire() as connection, connection.transaction():
            yield connection

    @post("/write", dependencies={"db": Provide(provide_db)})
    async def write(db: Db) -> dict[str, int]:
        admin = await asyncpg.connect(admin_url)
        try:  # as a PostgreSQL restart does to every backend
            await admin.execute("SELECT pg_terminate_backend($1)", db.get_server_pid())
        finally:
            await admin.close()
        return {"n": await db.fetchval("SELECT 1")}

    app = Litestar([write], exception_handlers=EXCEPTION_HANDLERS)
    try:
        async with client_for(app) as client:
            response = await client.post("/write")
    finally:
        await pool.close()
    assert_unavailable(response)
