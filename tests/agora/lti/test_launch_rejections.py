"""Launches refused: every check of the id_token, the state and the claims answers a clear 4xx
HTML page and creates nothing; and the raw id_token never reaches the logs."""

import hashlib
import hmac
import time

import pytest

from agora.lti import claims as c
from tests.agora.lti.conftest import counts, launch, login
from tests.agora.lti.platform import new_key

# ---- rejections: each is a clear 4xx and creates nothing -----------------------------------


async def rejected(client, conn, state, token, cookie, *, status=400, reason=""):
    before = await counts(conn)
    response = await launch(client, state, token, cookie)
    assert response.status_code == status, response.text
    assert "text/html" in response.headers["content-type"]
    assert reason in response.text
    assert await counts(conn) == before
    return response


def tamper(token: str) -> str:
    head, body, signature = token.split(".")
    flipped = "A" if signature[5] != "A" else "B"
    return ".".join((head, body, signature[:5] + flipped + signature[6:]))


def unsigned(platform, nonce: str, alg: str, key=None) -> str:
    import base64
    import json

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    good = platform.id_token(nonce)
    claims = json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))
    header = {"alg": alg, "kid": platform.key.kid, "typ": "JWT"}
    signing_input = f"{b64(header)}.{b64(claims)}"
    if alg == "none":
        return signing_input + "."
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


async def test_reject_bad_signature(client, conn, platform):
    r = await login(client, platform)
    await rejected(
        client,
        conn,
        r.state,
        tamper(platform.id_token(r.nonce)),
        r.cookie,
        reason="signature is invalid",
    )


async def test_reject_token_signed_by_another_key_under_a_known_kid(client, conn, platform):
    r = await login(client, platform)
    impostor = new_key(platform.key.kid)
    await rejected(
        client,
        conn,
        r.state,
        platform.id_token(r.nonce, key=impostor),
        r.cookie,
        reason="signature is invalid",
    )


async def test_reject_unknown_kid_after_one_refetch(client, conn, platform):
    warm = await login(client, platform)
    await launch(client, warm.state, platform.id_token(warm.nonce), warm.cookie)
    assert platform.jwks_fetches == 1
    r = await login(client, platform)
    stranger = new_key("never-published")
    await rejected(
        client,
        conn,
        r.state,
        platform.id_token(r.nonce, key=stranger),
        r.cookie,
        reason="unknown key",
    )
    assert platform.jwks_fetches == 2  # refetched once
    r2 = await login(client, platform)
    await rejected(
        client,
        conn,
        r2.state,
        platform.id_token(r2.nonce, key=stranger),
        r2.cookie,
        reason="unknown key",
    )
    assert platform.jwks_fetches == 2  # rate-limited: no second refetch


async def test_reject_alg_none(client, conn, platform):
    r = await login(client, platform)
    await rejected(
        client, conn, r.state, unsigned(platform, r.nonce, "none"), r.cookie, reason="algorithm"
    )


async def test_reject_hs256_signed_with_the_platform_public_key(client, conn, platform):
    r = await login(client, platform)
    forged = unsigned(platform, r.nonce, "HS256", platform.key.as_pem(private=False))
    await rejected(client, conn, r.state, forged, r.cookie, reason="algorithm")


async def test_reject_expired(client, conn, platform):
    r = await login(client, platform)
    old = int(time.time()) - 3600
    token = platform.id_token(r.nonce, iat=old - 60, exp=old)
    await rejected(client, conn, r.state, token, r.cookie, reason="expired")


async def test_reject_iat_in_the_future(client, conn, platform):
    r = await login(client, platform)
    future = int(time.time()) + 3600
    token = platform.id_token(r.nonce, iat=future, exp=future + 300)
    await rejected(client, conn, r.state, token, r.cookie, reason="future")


async def test_reject_nbf_in_the_future(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, nbf=int(time.time()) + 600)
    await rejected(client, conn, r.state, token, r.cookie, reason="not valid yet (nbf)")


async def test_reject_nbf_that_is_not_a_number(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, nbf="soon")
    await rejected(client, conn, r.state, token, r.cookie, reason="nbf")


async def test_accept_nbf_now_within_the_clock_leeway(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, nbf=int(time.time()) + 30)
    assert (await launch(client, r.state, token, r.cookie)).status_code == 200


def deep_linking(platform, return_url: str) -> dict:
    return {
        "message_type": c.DEEP_LINKING_REQUEST,
        "resource_link": None,
        c.TARGET_LINK_URI: None,
        "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        "dl_settings": {"deep_link_return_url": return_url, "accept_types": ["ltiResourceLink"]},
    }


@pytest.mark.parametrize(
    "return_url",
    [
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)//https://lms",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.example/steal",
        "//evil.example/steal",
        "",
    ],
)
async def test_reject_a_deep_link_return_url_off_the_platforms_origins(
    client, conn, platform, return_url
):
    # The picker's answer is auto-posted there with our signature: only the platform may get it.
    r = await login(client, platform)
    token = platform.id_token(r.nonce, **deep_linking(platform, return_url))
    await rejected(client, conn, r.state, token, r.cookie, reason="deep_link_return_url")


async def test_a_deep_link_return_url_on_an_origin_the_administrator_named_is_accepted(
    client, conn, platform
):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, **deep_linking(platform, "https://school.lms.test/dl"))
    await rejected(client, conn, r.state, token, r.cookie, reason="deep_link_return_url")
    await conn.execute(
        "UPDATE platforms SET origins = '{https://school.lms.test}' WHERE id = $1",
        platform.platform_id,
    )
    r = await login(client, platform)
    token = platform.id_token(r.nonce, **deep_linking(platform, "https://school.lms.test/dl"))
    assert (await launch(client, r.state, token, r.cookie)).status_code == 200


async def test_reject_wrong_issuer(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, iss="https://evil.test")
    await rejected(client, conn, r.state, token, r.cookie, reason="issuer")


async def test_reject_audience_mismatch(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, aud="someone-else")
    await rejected(client, conn, r.state, token, r.cookie, reason="audience")


async def test_reject_several_audiences_without_azp(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, aud=[platform.client_id, "other"])
    await rejected(client, conn, r.state, token, r.cookie, reason="azp")


async def test_accept_several_audiences_with_our_azp(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, aud=[platform.client_id, "other"], azp=platform.client_id)
    response = await launch(client, r.state, token, r.cookie)
    assert response.status_code == 200


async def test_reject_replayed_nonce(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce)
    assert (await launch(client, r.state, token, r.cookie)).status_code == 200
    await rejected(client, conn, r.state, token, r.cookie, reason="start the launch again")


async def test_reject_nonce_of_another_login(client, conn, platform):
    first, second = await login(client, platform), await login(client, platform)
    token = platform.id_token(first.nonce)
    await rejected(client, conn, second.state, token, second.cookie, reason="nonce")


async def test_reject_wrong_state(client, conn, platform):
    r = await login(client, platform)
    await rejected(
        client,
        conn,
        "forged-state",
        platform.id_token(r.nonce),
        r.cookie,
        reason="unknown or expired state",
    )


async def test_reject_missing_state_cookie_without_platform_storage(client, conn, platform):
    r = await login(client, platform)
    await rejected(client, conn, r.state, platform.id_token(r.nonce), None, reason="cookie")


async def test_reject_state_cookie_of_another_value(client, conn, platform):
    r = await login(client, platform)
    name = r.cookie.split("=")[0]
    await rejected(
        client, conn, r.state, platform.id_token(r.nonce), f"{name}=other", reason="cookie"
    )


async def test_reject_unknown_deployment(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, deployment_id="dep-unknown")
    await rejected(client, conn, r.state, token, r.cookie, reason="not registered")


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        ("sub", "sub"),
        ("roles", "roles"),
        ("context", "context"),
        ("resource_link", "resource_link"),
        ("deployment_id", "deployment_id"),
        ("nonce", "nonce"),
        ("exp", "exp"),
        (c.TARGET_LINK_URI, "target_link_uri"),
    ],
)
async def test_reject_missing_required_claim(client, conn, platform, claim, reason):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, **{claim: None})
    await rejected(client, conn, r.state, token, r.cookie, reason=reason)


async def test_reject_wrong_version(client, conn, platform):
    r = await login(client, platform)
    await rejected(
        client, conn, r.state, platform.id_token(r.nonce, version="1.1"), r.cookie, reason="1.3.0"
    )


async def test_reject_unsupported_message_type(client, conn, platform):
    r = await login(client, platform)
    token = platform.id_token(r.nonce, message_type="LtiSubmissionReviewRequest")
    await rejected(client, conn, r.state, token, r.cookie, reason="not supported")


async def test_reject_garbage_token_and_missing_fields(client, conn, platform):
    r = await login(client, platform)
    await rejected(client, conn, r.state, "not-a-jwt", r.cookie, reason="compact")
    response = await client.post("/lti/launch", data={"state": r.state})
    assert response.status_code == 400 and "id_token" in response.text
    response = await client.post("/lti/launch", data={})
    assert response.status_code == 400 and "state" in response.text


async def test_the_raw_id_token_is_never_logged(client, conn, platform, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    r = await login(client, platform)
    good = platform.id_token(r.nonce)
    await launch(client, r.state, tamper(good), r.cookie)  # rejected
    await launch(client, r.state, good, r.cookie)  # accepted
    payload = good.split(".")[1]
    assert payload not in caplog.text and good not in caplog.text


async def test_outside_dev_mode_the_platform_keys_are_never_fetched_from_loopback(
    settings, database, redis, conn, platform
):
    """SSRF through a registration's jwks_url: a production server refuses to call it."""
    import httpx
    import msgspec

    from agora.app import create_app

    production = msgspec.structs.replace(settings, allow_private_urls=False)
    app = create_app(production, database=database, redis=redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
        r = await login(http, platform)
        await rejected(
            http, conn, r.state, platform.id_token(r.nonce), r.cookie, status=502, reason="https"
        )
    assert platform.jwks_fetches == 0
