"""OIDC third-party initiated login: the redirect to the platform, its state and nonce, the
state cookie, and the limits on it."""

from tests.agora.lti.conftest import login


async def test_login_redirects_to_platform_with_state_nonce_and_partitioned_cookie(
    client, platform
):
    result = await login(client, platform, lti_message_hint="msg-7")
    assert result.response.status_code == 302
    location = result.response.headers["location"]
    assert location.startswith(f"{platform.url}/auth?")
    for part in (
        "response_type=id_token",
        "response_mode=form_post",
        "prompt=none",
        "scope=openid",
        "lti_message_hint=msg-7",
        "login_hint=hint-1",
        "redirect_uri=http%3A%2F%2Ftestserver.local%2Flti%2Flaunch",
    ):
        assert part in location
    cookie = result.response.headers["set-cookie"]
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert attribute in cookie


async def test_login_with_unknown_issuer_is_a_clear_400_page(client, platform):
    response = await client.get(
        "/lti/login",
        params={"iss": "https://nobody.test", "login_hint": "x", "target_link_uri": "y"},
    )
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "unknown platform" in response.text


async def test_login_accepts_canvas_deployment_id_spelling_and_rejects_unknown(client, platform):
    ok = await login(client, platform, lti_deployment_id="", deployment_id=platform.deployment_id)
    assert ok.response.status_code == 302
    bad = await login(client, platform, lti_deployment_id="", deployment_id="nope")
    assert bad.response.status_code == 400
    assert "not registered" in bad.response.text


async def test_login_by_post_works(client, platform):
    response = await client.post(
        "/lti/login",
        data={
            "iss": platform.issuer,
            "login_hint": "h",
            "target_link_uri": "t",
            "client_id": platform.client_id,
        },
    )
    assert response.status_code == 302


async def test_logins_are_rate_limited_per_client_address(client, conn, platform, redis):
    from agora.lti.login import LOGIN_RATE

    await redis.set("lti:login-rate:127.0.0.1", LOGIN_RATE, ex=60)
    result = await login(client, platform)
    assert result.response.status_code == 429
    assert "too many launches" in result.response.text


async def test_login_never_redirects_to_a_login_url_that_is_not_http(client, conn, platform, redis):
    await conn.execute(
        "UPDATE platforms SET auth_login_url = 'javascript:alert(1)//' WHERE id = $1",
        platform.platform_id,
    )
    result = await login(client, platform)
    assert result.response.status_code == 400
    assert "location" not in result.response.headers
    assert "login URL" in result.response.text
    assert await redis.keys("lti:state:*") == []
