"""Security headers on every answer (CSP without inline script or style, frame-ancestors from the
platform registry, nosniff, Referrer-Policy, no-store on the API) and /metrics behind its token."""

from __future__ import annotations

import re

import httpx
import pytest

from agora import web
from agora.app import create_app
from agora.headers import frame_origin
from agora.settings import load_settings


def directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


async def client_for(settings, database, redis):
    app = create_app(settings, database=database, redis=redis)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.base_url)


async def test_pages_forbid_inline_script_and_style(client, course):
    response = await client.get(f"/ui/courses/{course.id}/forum", headers=course.alice.headers)
    assert response.status_code == 200
    csp = directives(response)
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    # …and the page itself holds nothing such a policy would block.
    assert "<script>" not in response.text and " style=" not in response.text


async def test_pages_may_be_framed_only_by_registered_platforms(client, conn, course):
    # course's platform: issuer https://lms-<tag>.test, login at https://lms.test/auth
    issuer = await conn.fetchval("SELECT issuer FROM platforms WHERE id = $1", course.platform_id)
    await conn.execute(
        """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url)
           VALUES ('https://evil.test; script-src *', 'c', 'https://moodle.example.edu:8443/auth',
                   'https://x.test/t', 'https://x.test/j')"""
    )
    response = await client.get(f"/ui/courses/{course.id}/forum", headers=course.alice.headers)
    ancestors = directives(response)["frame-ancestors"]
    assert {"'self'", issuer, "https://lms.test", "https://moodle.example.edu:8443"} <= set(
        ancestors
    )
    assert "*" not in ancestors and not any("evil" in a for a in ancestors)
    assert "script-src *" not in response.headers["content-security-policy"]


async def test_origins_a_platform_named_may_frame(client, conn, course):
    # `agora platform add --origin`: a Canvas school serves its courses on its own host.
    await conn.execute(
        """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url,
                                  origins)
           VALUES ('https://canvas.instructure.com', 'c2', 'https://sso.canvaslms.com/auth',
                   'https://x.test/t', 'https://x.test/j',
                   '{https://school.instructure.com,javascript:alert(1)}')"""
    )
    response = await client.get(f"/ui/courses/{course.id}/forum", headers=course.alice.headers)
    ancestors = directives(response)["frame-ancestors"]
    assert "https://school.instructure.com" in ancestors
    assert not any("javascript" in a for a in ancestors)


async def test_error_pages_and_lti_pages_carry_the_page_policy(client, course):
    for response in (
        await client.get(f"/ui/courses/{course.id}/forum"),  # 401 as an HTML page
        await client.get("/lti/login", params={"iss": "https://unknown.test"}),
    ):
        assert response.headers["content-type"].startswith("text/html")
        csp = directives(response)
        assert csp["script-src"] == ["'self'"] and "https://lms.test" in csp["frame-ancestors"]


async def test_configured_frame_ancestors_are_added(settings, database, redis, course):
    configured = load_settings(
        environ={},
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        public_url=settings.public_url,
        frame_ancestors="https://*.instructure.com https://lms.example.edu",
    )
    async with await client_for(configured, database, redis) as client:
        response = await client.get(f"/ui/courses/{course.id}/forum", headers=course.alice.headers)
    ancestors = directives(response)["frame-ancestors"]
    assert {"https://*.instructure.com", "https://lms.example.edu", "https://lms.test"} <= set(
        ancestors
    )


def test_a_frame_ancestors_setting_cannot_add_a_directive():
    from agora.settings import SettingsError

    with pytest.raises(SettingsError, match="AGORA_FRAME_ANCESTORS"):
        load_settings(environ={"AGORA_FRAME_ANCESTORS": "https://a.test; script-src *"})


def test_frame_origin_keeps_only_http_origins():
    assert frame_origin("https://lms.test/auth?x=1") == "https://lms.test"
    assert frame_origin("http://127.0.0.1:8000/dev/lms/authorize") == "http://127.0.0.1:8000"
    assert frame_origin("javascript:alert(1)") is None
    assert frame_origin("https://a.test'; script-src *") is None
    assert frame_origin("https://a.test:99999/") is None


async def test_api_answers_are_never_stored_nor_framed(client, course):
    answers = [
        await client.get(f"/api/v1/courses/{course.id}/boards", headers=course.alice.headers),
        await client.get(f"/api/v1/courses/{course.id}/boards"),  # 401 problem+json
        await client.get("/api/v1/no/such/route"),  # 404 before any route matched
    ]
    assert [a.status_code for a in answers] == [200, 401, 404]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert directives(answer) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
        assert answer.headers["x-content-type-options"] == "nosniff"


async def test_static_files_keep_their_cache_and_get_nosniff(client):
    response = await client.get("/static/agora.js")
    assert "max-age=31536000" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_metrics_need_the_bearer_token(settings, database, redis):
    with_token = load_settings(
        environ={},
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        metrics_token="s3cret-scraper",
    )
    async with await client_for(with_token, database, redis) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scraper"})
    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert "agora_requests" not in refused.text
    assert right.status_code == 200 and "agora_jobs" in right.text


async def test_metrics_are_off_without_a_token_outside_dev(client):
    response = await client.get("/metrics")
    assert response.status_code == 404
    assert "AGORA_METRICS_TOKEN" in response.json()["detail"]


async def test_metrics_are_open_in_dev_without_a_token(settings, database, redis):
    dev = load_settings(
        environ={}, database_url=settings.database_url, redis_url=settings.redis_url, dev=True
    )
    async with await client_for(dev, database, redis) as client:
        assert (await client.get("/metrics")).status_code == 200


async def test_lti_pages_run_their_scripts_from_static_files(client):
    """What the LTI pages did inline now lives in static files the policy allows."""
    expected = {
        "lti/login-storage.js": "lti.put_data",
        "lti/launch-storage.js": "lti.get_data",
        "lti/registered.js": "org.imsglobal.lti.close",
        "lti/autopost.js": "submit()",
    }
    for path, content in expected.items():
        response = await client.get(web.static_url(path))
        assert response.status_code == 200 and content in response.text, path
    for template in ("login_storage", "launch_storage", "registered", "autopost"):
        source = (web.TEMPLATE_DIR / "lti" / f"{template}.html").read_text()
        assert "<script>" not in source and "<script src" not in source, template


def test_no_template_has_inline_script_style_or_event_handlers():
    """Every template of every context (the page policy would block these in the browser)."""
    roots = [web.TEMPLATE_DIR, *web.TEMPLATE_DIR.parent.parent.joinpath("forum").glob("templates")]
    roots += [*web.TEMPLATE_DIR.parent.parent.joinpath("peerreview").glob("templates")]
    roots += [web.TEMPLATE_DIR.parent / "devlms" / "templates"]
    templates = [p for root in roots for p in root.rglob("*.html")]
    assert len(templates) > 30
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style|\son[a-z]+=|hx-on", re.I)
    offenders = [
        f"{p.name}: {m.group(0)}" for p in templates for m in inline.finditer(p.read_text())
    ]
    assert offenders == []
