"""Dynamic registration: closed to the world (a one-time invite from an administrator), never
overwriting a registration, fetching through the outbound guard without following redirects,
and never showing what the remote answered."""

from datetime import timedelta

import httpx
import pytest

from agora.app import create_app
from agora.lti import claims as c
from agora.lti.registration import create_invite
from agora.settings import load_settings
from tests.agora.lti.platform import Platform, serve

PUBLIC = "https://agora.example"


def app_client(database_url, server_urls, database, redis, tmp_path, **settings):
    values = {
        "database_url": database_url,
        "redis_url": server_urls["redis"],
        "public_url": PUBLIC,
        "data_dir": str(tmp_path),
        **settings,
    }
    app = create_app(load_settings(environ={}, **values), database=database, redis=redis)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC), app


@pytest.fixture
async def dev_client(database_url, server_urls, database, redis, tmp_path):
    # Dev mode lets registration use plain-http URLs (the stand-in platform is on loopback).
    http, app = app_client(database_url, server_urls, database, redis, tmp_path, dev=True)
    http.settings = app.state.settings
    async with http:
        yield http


@pytest.fixture
async def production_client(database_url, server_urls, database, redis, tmp_path):
    http, app = app_client(database_url, server_urls, database, redis, tmp_path)
    http.settings = app.state.settings
    async with http:
        yield http


async def new_invite(conn, client, ttl=timedelta(hours=1)) -> str:
    url, _ = await create_invite(conn, client.settings, ttl)
    assert url.startswith(f"{PUBLIC}/lti/register?invite=")
    return url.rsplit("=", 1)[1]


def config_url(platform) -> str:
    return f"{platform.url}/.well-known/openid-configuration"


async def register(client, invite, configuration, token="reg-token-1"):
    params = {"openid_configuration": configuration, "registration_token": token}
    if invite is not None:
        params["invite"] = invite
    return await client.get("/lti/register", params=params)


async def platform_count(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM platforms")


async def test_dynamic_registration_registers_and_closes_the_window(
    dev_client, conn, platform_server
):
    platform = platform_server
    platform.reset()
    invite = await new_invite(conn, dev_client)
    response = await register(dev_client, invite, config_url(platform))
    assert response.status_code == 200, response.text
    assert 'data-client-id="registered-client-7"' in response.text
    (sent,) = platform.registrations
    assert sent["initiate_login_uri"] == "https://agora.example/lti/login"
    assert sent["redirect_uris"] == ["https://agora.example/lti/launch"]
    assert sent["jwks_uri"] == "https://agora.example/lti/jwks"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert c.SCOPE_SCORE in sent["scope"] and c.SCOPE_NRPS in sent["scope"]
    tool = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool["domain"] == "agora.example"
    assert tool["messages"][0]["type"] == "LtiDeepLinkingRequest"
    row = await conn.fetchrow(
        "SELECT * FROM platforms WHERE issuer = $1 AND client_id = 'registered-client-7'",
        platform.url,
    )
    assert row["auth_login_url"] == f"{platform.url}/auth"
    assert row["auth_token_url"] == f"{platform.url}/token"
    assert row["jwks_url"] == f"{platform.url}/jwks"
    assert (
        await conn.fetchval(
            "SELECT deployment_id FROM deployments WHERE platform_id = $1", row["id"]
        )
        == "registered-deployment-1"
    )
    used = await conn.fetchrow("SELECT used_at, platform_id FROM lti_registration_invites")
    assert used["used_at"] is not None and used["platform_id"] == row["id"]


async def test_only_the_invites_hash_is_stored(dev_client, conn):
    invite = await new_invite(conn, dev_client)
    stored = await conn.fetchval("SELECT token_hash FROM lti_registration_invites")
    assert invite.encode() not in stored and len(stored) == 32


@pytest.mark.parametrize("invite", [None, "", "not-an-invite", "x" * 5000])
async def test_registration_without_a_valid_invite_is_refused_and_fetches_nothing(
    dev_client, conn, platform_server, invite
):
    platform_server.reset()
    before = await platform_count(conn)
    response = await register(dev_client, invite, config_url(platform_server))
    assert response.status_code == 403, response.text
    assert "invite" in response.text
    assert platform_server.config_fetches == 0 and platform_server.registrations == []
    assert await platform_count(conn) == before


async def test_an_invite_works_once(dev_client, conn, platform_server):
    platform_server.reset()
    invite = await new_invite(conn, dev_client)
    assert (await register(dev_client, invite, config_url(platform_server))).status_code == 200
    platform_server.reset()
    again = await register(dev_client, invite, config_url(platform_server))
    assert again.status_code == 403 and "already used" in again.text
    assert platform_server.config_fetches == 0


async def test_an_expired_invite_is_refused(dev_client, conn, platform_server):
    platform_server.reset()
    invite = await new_invite(conn, dev_client, ttl=timedelta(seconds=-1))
    response = await register(dev_client, invite, config_url(platform_server))
    assert response.status_code == 403 and "expired" in response.text
    assert platform_server.config_fetches == 0


async def test_registration_never_overwrites_an_existing_registration(
    dev_client, conn, platform_server
):
    """The takeover: registering again the (issuer, client_id) an LMS already uses must not
    replace its keys and login URL; only an administrator changes it (agora platform add)."""
    platform_server.reset()
    existing = await conn.fetchval(
        """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url)
           VALUES ($1, 'registered-client-7', 'https://lms.test/auth', 'https://lms.test/token',
                   'https://lms.test/jwks') RETURNING id""",
        platform_server.url,
    )
    invite = await new_invite(conn, dev_client)
    response = await register(dev_client, invite, config_url(platform_server))
    assert response.status_code == 409, response.text
    assert "agora platform add" in response.text
    row = await conn.fetchrow("SELECT * FROM platforms WHERE id = $1", existing)
    assert row["jwks_url"] == "https://lms.test/jwks"
    assert row["auth_login_url"] == "https://lms.test/auth"
    # The refused registration did not use up the invite.
    assert await conn.fetchval("SELECT used_at FROM lti_registration_invites") is None


@pytest.fixture
async def attacker():
    """Another server (another origin) serving a platform configuration of its own."""
    evil = Platform()
    evil.reset()
    async with serve(evil.app()) as url:
        evil.url = url
        yield evil


async def test_registration_does_not_follow_an_open_redirect_on_the_issuer_origin(
    dev_client, conn, platform_server, attacker
):
    """The takeover with an open redirect: a configuration URL on the LMS's origin redirects to
    the attacker's configuration, which names the LMS as issuer and the attacker's keys."""
    platform_server.reset()
    attacker.configuration = {"issuer": platform_server.url}
    before = await platform_count(conn)
    invite = await new_invite(conn, dev_client)
    hop = f"{platform_server.url}/redirect?to={config_url(attacker)}"
    response = await register(dev_client, invite, hop)
    assert response.status_code == 400, response.text
    assert "redirect" in response.text
    assert attacker.config_fetches == 0 and attacker.registrations == []
    assert await platform_count(conn) == before


async def test_registration_endpoint_on_another_origin_is_refused(
    dev_client, conn, platform_server, attacker
):
    platform_server.reset()
    platform_server.configuration = {"registration_endpoint": f"{attacker.url}/register"}
    invite = await new_invite(conn, dev_client)
    response = await register(dev_client, invite, config_url(platform_server))
    assert response.status_code == 400 and "one origin" in response.text
    assert attacker.registrations == []


async def test_registration_rejects_an_issuer_from_another_origin(
    dev_client, conn, platform_server
):
    # The stand-in's configuration names its own origin; ask for it under another host name.
    url = platform_server.url.replace("127.0.0.1", "localhost")
    invite = await new_invite(conn, dev_client)
    response = await register(dev_client, invite, f"{url}/.well-known/openid-configuration")
    assert response.status_code == 400 and "one origin" in response.text


async def test_registration_refused_by_the_platform_shows_a_short_reason_not_its_answer(
    dev_client, conn, platform_server
):
    platform_server.reset()
    before = await platform_count(conn)
    invite = await new_invite(conn, dev_client)
    response = await register(dev_client, invite, config_url(platform_server), token="wrong")
    assert response.status_code == 400 and "refused the registration" in response.text
    assert "HTTP 401" in response.text
    assert "internal-secret-detail" not in response.text
    assert await platform_count(conn) == before


@pytest.mark.parametrize(
    "configuration",
    [
        "https://[::1",
        "https://exa mple.test/x",
        "https://xn--/x",
        "https://a..b/x",
        "javascript:alert(1)",
        "https://user:pass@lms.test/x",
        "",
    ],
)
async def test_malformed_configuration_urls_are_a_400_not_a_500(
    production_client, conn, configuration
):
    invite = await new_invite(conn, production_client)
    response = await register(production_client, invite, configuration)
    assert response.status_code == 400, response.text
    assert "openid_configuration" in response.text or "could not be read" in response.text


@pytest.mark.parametrize("token", ["caf\u00e9", "a\r\nX-Injected: 1", "\x00"])
async def test_malformed_registration_tokens_are_a_400_not_a_500(
    dev_client, conn, platform_server, token
):
    platform_server.reset()
    invite = await new_invite(conn, dev_client)
    response = await register(dev_client, invite, config_url(platform_server), token=token)
    assert response.status_code == 400, response.text
    assert platform_server.registrations == []


async def test_registration_outside_dev_mode_needs_https(production_client, conn):
    invite = await new_invite(conn, production_client)
    response = await register(
        production_client, invite, "http://lms.test/.well-known/openid-configuration"
    )
    assert response.status_code == 400 and "https" in response.text


class Listener:
    """A loopback TCP service that records every connection and every byte it is sent."""

    def __init__(self) -> None:
        self.connections = 0
        self.received = b""

    async def handle(self, reader, writer) -> None:
        self.connections += 1
        try:
            self.received += await reader.read(65536)
        finally:
            writer.close()


@pytest.fixture
async def loopback_service():
    import asyncio

    listener = Listener()
    server = await asyncio.start_server(listener.handle, "127.0.0.1", 0)
    listener.port = server.sockets[0].getsockname()[1]
    async with server:
        yield listener


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "127.1"])
async def test_registration_outside_dev_mode_never_reaches_a_loopback_service(
    production_client, conn, loopback_service, host
):
    """SSRF: a registration URL naming a service on the server's own loopback is refused before
    anything is sent to it."""
    invite = await new_invite(conn, production_client)
    url = f"https://{host}:{loopback_service.port}/.well-known/openid-configuration"
    response = await register(production_client, invite, url)
    assert response.status_code == 400, response.text
    assert "address Agora does not call" in response.text
    assert loopback_service.received == b""


async def test_config_json_describes_the_tool(client):
    config = (await client.get("/lti/config.json")).json()
    assert config["oidc_initiation_url"] == "http://testserver.local/lti/login"
    assert config["target_link_uri"] == "http://testserver.local/lti/launch"
    assert config["public_jwk_url"] == "http://testserver.local/lti/jwks"
    assert c.SCOPE_SCORE in config["scopes"]
