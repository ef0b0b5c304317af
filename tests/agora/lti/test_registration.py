import httpx
import pytest

from agora.app import create_app
from agora.lti import claims as c
from agora.settings import load_settings


@pytest.fixture
async def dev_client(database_url, server_urls, database, redis, tmp_path):
    # Dev mode lets registration use plain-http URLs (the stand-in platform is on loopback).
    settings = load_settings(
        environ={},
        database_url=database_url,
        redis_url=server_urls["redis"],
        dev=True,
        public_url="https://agora.example",
        data_dir=str(tmp_path),
    )
    app = create_app(settings, database=database, redis=redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://agora.example") as c:
        yield c


async def test_dynamic_registration_registers_and_closes_the_window(
    dev_client, conn, platform_server
):
    platform = platform_server
    platform.reset()
    response = await dev_client.get(
        "/lti/register",
        params={
            "openid_configuration": f"{platform.url}/.well-known/openid-configuration",
            "registration_token": "reg-token-1",
        },
    )
    assert response.status_code == 200, response.text
    assert "org.imsglobal.lti.close" in response.text
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


async def test_registration_refused_by_the_platform_is_a_clear_400_and_stores_nothing(
    dev_client, conn, platform_server
):
    platform_server.reset()
    before = await conn.fetchval("SELECT count(*) FROM platforms")
    response = await dev_client.get(
        "/lti/register",
        params={
            "openid_configuration": f"{platform_server.url}/.well-known/openid-configuration",
            "registration_token": "wrong",
        },
    )
    assert response.status_code == 400 and "refused the registration" in response.text
    assert await conn.fetchval("SELECT count(*) FROM platforms") == before


async def test_registration_outside_dev_mode_needs_https(client):
    response = await client.get(
        "/lti/register",
        params={"openid_configuration": "http://127.0.0.1:1/.well-known/openid-configuration"},
    )
    assert response.status_code == 400 and "https" in response.text
    response = await client.get("/lti/register")
    assert response.status_code == 400


async def test_registration_rejects_an_issuer_from_another_origin(dev_client, platform_server):
    # The stand-in's configuration names its own origin; ask for it under another host name.
    url = platform_server.url.replace("127.0.0.1", "localhost")
    response = await dev_client.get(
        "/lti/register", params={"openid_configuration": f"{url}/.well-known/openid-configuration"}
    )
    assert response.status_code == 400 and "origin" in response.text


async def test_config_json_describes_the_tool(client):
    config = (await client.get("/lti/config.json")).json()
    assert config["oidc_initiation_url"] == "http://testserver.local/lti/login"
    assert config["target_link_uri"] == "http://testserver.local/lti/launch"
    assert config["public_jwk_url"] == "http://testserver.local/lti/jwks"
    assert c.SCOPE_SCORE in config["scopes"]
