import httpx

from agora.app import create_app


async def get_ready(app) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/ready")


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
