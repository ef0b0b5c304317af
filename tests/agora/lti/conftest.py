from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest

from agora.lti.queries import platforms
from tests.agora.lti.platform import Platform, serve


@pytest.fixture
def settings(settings):
    """The suite's settings, letting calls reach the stand-in platforms on loopback over http
    (production refuses both: tests/agora/lti/test_outbound.py)."""
    return msgspec.structs.replace(settings, allow_private_urls=True)


@pytest.fixture(scope="session")
async def platform_server():
    platform = Platform()
    platform.reset()
    async with serve(platform.app()) as url:
        platform.url = url
        yield platform


@pytest.fixture
async def platform(platform_server, conn) -> Platform:
    """The stand-in platform, reset, and registered with the tool (in this test's transaction)."""
    platform_server.reset()
    p = platform_server
    platform_id = await platforms.upsert_platform(
        conn,
        issuer=p.issuer,
        client_id=p.client_id,
        name="Stand-in LMS",
        auth_login_url=f"{p.url}/auth",
        auth_token_url=f"{p.url}/token",
        jwks_url=f"{p.url}/jwks",
    )
    await platforms.insert_deployment(conn, platform_id, p.deployment_id)
    p.platform_id = platform_id
    return p


@dataclass
class Login:
    state: str
    nonce: str
    cookie: str
    response: object

    @property
    def headers(self) -> dict:
        return {"Cookie": self.cookie}


async def login(client, platform, **params) -> Login:
    query = {
        "iss": platform.issuer,
        "login_hint": "hint-1",
        "target_link_uri": "http://testserver.local/lti/launch",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
        **params,
    }
    response = await client.get("/lti/login", params={k: v for k, v in query.items() if v})
    if response.status_code == 302:
        auth = parse_qs(urlsplit(response.headers["location"]).query)
        state, nonce = auth["state"][0], auth["nonce"][0]
    else:
        state = re.search(r'data-state="([^"]+)"', response.text)
        nonce = re.search(r'data-nonce="([^"]+)"', response.text)
        state, nonce = (state.group(1), nonce.group(1)) if state and nonce else ("", "")
    set_cookie = response.headers.get("set-cookie", "")
    cookie = set_cookie.split(";")[0]
    return Login(state, nonce, cookie, response)


async def launch(client, state: str, id_token: str, cookie: str | None = None, **extra):
    headers = {"Cookie": cookie} if cookie else {}
    return await client.post(
        "/lti/launch", data={"state": state, "id_token": id_token, **extra}, headers=headers
    )


async def counts(conn) -> dict:
    return {
        t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed table names
        for t in ("sessions", "users", "courses", "memberships", "lti_resource_links")
    }


async def launched(client, conn, platform, **claims):
    """Log in and launch through the tool; return (principal, response)."""
    import re

    from agora.sessions import select_principal

    result = await login(client, platform)
    response = await launch(
        client, result.state, platform.id_token(result.nonce, **claims), result.cookie
    )
    assert response.status_code == 200, response.text
    token = re.search(r'<meta name="agora-session" content="([^"]+)"', response.text).group(1)
    return await select_principal(conn, token), response


@pytest.fixture
async def run_outbox(database, redis, run_jobs):
    """Relay committed outbox rows to arq, then run the jobs (as the worker would)."""
    from agora.outbox import relay_pending

    async def run() -> int:
        while await relay_pending(database, redis):
            pass
        return await run_jobs()

    return run
