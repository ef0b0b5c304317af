import httpx
import msgspec
from prometheus_client.parser import text_string_to_metric_families

from agora.app import create_app


async def test_health_answers_ok(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_postgres_and_redis_answer(client):
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": "ok", "redis": "ok"}


async def test_unknown_route_is_problem_json(client):
    response = await client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["type"].endswith("/not-found")


async def test_openapi_schema_is_served(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Agora"


async def test_metrics_count_requests_by_route_and_report_jobs(settings, database, redis):
    scraper = msgspec.structs.replace(settings, metrics_token="scrape")
    app = create_app(scraper, database=database, redis=redis)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        await c.get("/health")
        response = await c.get("/metrics", headers={"Authorization": "Bearer scrape"})
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    requests = families["agora_requests"]
    assert any(s.labels.get("path") == "/health" for s in requests.samples)
    assert "agora_request_duration_seconds" in families
    jobs = families["agora_jobs"]
    assert {s.labels["state"] for s in jobs.samples} >= {"outbox_pending", "queued"}
