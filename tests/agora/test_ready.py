import asyncpg
import httpx
import pytest

from agora.app import create_app
from agora.db import Database
from agora.redis import create_redis


async def get_ready(app) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/ready")


@pytest.fixture
async def unreachable_database(unused_tcp_port):
    pool = await asyncpg.create_pool(
        f"postgresql://postgres@127.0.0.1:{unused_tcp_port}/none", min_size=0, timeout=1
    )
    yield Database(pool=pool)
    await pool.close()


@pytest.fixture
async def unreachable_redis(tmp_path):
    client = create_redis(f"unix://{tmp_path}/no-redis.sock")
    yield client
    await client.aclose()


async def test_ready_is_503_naming_postgres_when_it_is_unreachable(
    settings, unreachable_database, redis
):
    response = await get_ready(create_app(settings, database=unreachable_database, redis=redis))
    assert response.status_code == 503
    assert response.json()["failed"] == ["postgres"]
    assert response.json()["checks"]["redis"] == "ok"


async def test_ready_is_503_naming_redis_when_it_is_unreachable(
    settings, database, unreachable_redis
):
    response = await get_ready(create_app(settings, database=database, redis=unreachable_redis))
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


async def test_health_stays_up_when_both_are_unreachable(
    settings, unreachable_database, unreachable_redis
):
    app = create_app(settings, database=unreachable_database, redis=unreachable_redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/health")).status_code == 200
