import hashlib
import hmac
import re
import time

import httpx
import pytest

from agora.app import create_app
from agora.lti import claims as c
from agora.redis import create_redis
from agora.sessions import select_principal
from tests.agora.lti.conftest import counts, launch, login
from tests.agora.lti.platform import MEMBERSHIP, new_key


def session_token(response) -> str:
    match = re.search(r'<meta name="agora-session" content="([^"]+)"', response.text)
    assert match, response.text
    return match.group(1)


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


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([MEMBERSHIP + "Learner"], "learner"),
        ([MEMBERSHIP + "Instructor"], "instructor"),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], "ta"),
        ([MEMBERSHIP + "Mentor"], "ta"),
        ([MEMBERSHIP + "Administrator"], "instructor"),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"], "learner"),
    ],
)
async def test_launch_creates_course_user_membership_session_with_mapped_role(
    client, conn, platform, roles, expected
):
    result = await login(client, platform)
    token = platform.id_token(result.nonce, roles=roles)
    response = await launch(client, result.state, token, result.cookie)
    assert response.status_code == 200, response.text
    principal = await select_principal(conn, session_token(response))
    assert principal.role == expected
    assert principal.target == {"kind": "forum", "id": None}
    assert principal.locale == "fr"
    course = await conn.fetchrow("SELECT * FROM courses WHERE id = $1", principal.course_id)
    assert (course["context_id"], course["title"], course["language"]) == (
        "course-ctx-1",
        "Oceans 101",
        "fr",
    )
    assert f'<meta name="agora-course" content="{principal.course_id}">' in response.text
    user = await conn.fetchrow("SELECT * FROM users WHERE id = $1", principal.user_id)
    assert (user["sub"], user["name"], user["email"], user["locale"]) == (
        "user-learner",
        "Lea Learner",
        "lea@example.test",
        "fr-FR",
    )
    membership = await conn.fetchrow(
        "SELECT * FROM memberships WHERE course_id = $1 AND user_id = $2",
        principal.course_id,
        principal.user_id,
    )
    assert membership["role"] == expected and membership["lti_roles"] == roles
    link = await conn.fetchrow(
        "SELECT * FROM lti_resource_links WHERE course_id = $1", principal.course_id
    )
    assert link["resource_link_id"] == "link-1"
    assert link["lineitems_url"] == f"{platform.url}/lineitems"


@pytest.mark.parametrize(
    ("custom", "target"),
    [
        ({"agora_target": "board", "agora_target_id": "12"}, {"kind": "board", "id": 12}),
        ({"agora_target": "thread", "agora_target_id": "7"}, {"kind": "thread", "id": 7}),
        ({"agora_target": "assignment", "agora_target_id": "3"}, {"kind": "assignment", "id": 3}),
        ({"agora_target": "forum"}, {"kind": "forum", "id": None}),
        ({"agora_target": "board", "agora_target_id": "x1"}, {"kind": "forum", "id": None}),
        ({"agora_target": "admin", "agora_target_id": "1"}, {"kind": "forum", "id": None}),
    ],
)
async def test_custom_parameters_choose_the_target(client, conn, platform, custom, target):
    result = await login(client, platform)
    response = await launch(
        client, result.state, platform.id_token(result.nonce, custom=custom), result.cookie
    )
    assert response.status_code == 200, response.text
    principal = await select_principal(conn, session_token(response))
    assert principal.target == target


async def test_resource_link_remembers_its_target_when_custom_parameters_are_absent(
    client, conn, platform
):
    first = await login(client, platform)
    custom = {"agora_target": "board", "agora_target_id": "5"}
    await launch(client, first.state, platform.id_token(first.nonce, custom=custom), first.cookie)
    second = await login(client, platform)
    response = await launch(
        client, second.state, platform.id_token(second.nonce, custom=None), second.cookie
    )
    principal = await select_principal(conn, session_token(response))
    assert principal.target == {"kind": "board", "id": 5}


async def test_roles_smuggled_through_custom_parameters_are_ignored(client, conn, platform):
    result = await login(client, platform)
    custom = {"roles": MEMBERSHIP + "Instructor", "role": "instructor", "agora_role": "instructor"}
    response = await launch(
        client, result.state, platform.id_token(result.nonce, custom=custom), result.cookie
    )
    principal = await select_principal(conn, session_token(response))
    assert principal.role == "learner"


async def test_relaunch_updates_role_and_keeps_one_user(client, conn, platform):
    for roles in ([MEMBERSHIP + "Learner"], [MEMBERSHIP + "Instructor"]):
        result = await login(client, platform)
        response = await launch(
            client, result.state, platform.id_token(result.nonce, roles=roles), result.cookie
        )
        assert response.status_code == 200
    principal = await select_principal(conn, session_token(response))
    assert principal.role == "instructor"
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM users WHERE sub = 'user-learner' AND platform_id = $1",
            platform.platform_id,
        )
        == 1
    )


async def test_launch_without_a_locale_falls_back_to_the_course_language(client, conn, platform):
    first = await login(client, platform)
    await launch(client, first.state, platform.id_token(first.nonce), first.cookie)  # fr-FR
    second = await login(client, platform)
    token = platform.id_token(second.nonce, sub="user-2", **{c.LAUNCH_PRESENTATION: None})
    response = await launch(client, second.state, token, second.cookie)
    assert response.status_code == 200, response.text
    principal = await select_principal(conn, session_token(response))
    assert principal.locale == ""
    assert '<html lang="fr"' in response.text


async def test_the_session_token_opens_the_json_api(client, conn, platform):
    result = await login(client, platform)
    response = await launch(client, result.state, platform.id_token(result.nonce), result.cookie)
    token = session_token(response)
    principal = await select_principal(conn, token)
    assert principal is not None and principal.name == "Lea Learner"


async def test_launch_enqueues_one_roster_sync_for_the_course(client, conn, platform):
    for _ in range(2):
        result = await login(client, platform)
        await launch(client, result.state, platform.id_token(result.nonce), result.cookie)
    jobs = await conn.fetch("SELECT job, args FROM outbox WHERE job = 'lti_sync_roster'")
    assert len(jobs) == 1


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


async def test_redis_down_fails_closed_with_503(client, conn, platform, settings, database):
    r = await login(client, platform)
    token = platform.id_token(r.nonce)
    dead = create_redis("redis://127.0.0.1:1/0")
    app = create_app(settings, database=database, redis=dead)
    transport = httpx.ASGITransport(app=app)
    before = await counts(conn)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as down:
        response = await launch(down, r.state, token, r.cookie)
        login_response = await down.get(
            "/lti/login",
            params={"iss": platform.issuer, "login_hint": "h", "target_link_uri": "t"},
        )
    await dead.aclose()
    assert response.status_code == 503
    assert login_response.status_code == 503
    assert await counts(conn) == before


async def test_logins_are_rate_limited_per_client_address(client, conn, platform, redis):
    from agora.lti.login import LOGIN_RATE

    await redis.set("lti:login-rate:127.0.0.1", LOGIN_RATE, ex=60)
    result = await login(client, platform)
    assert result.response.status_code == 429
    assert "too many launches" in result.response.text


async def test_the_raw_id_token_is_never_logged(client, conn, platform, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    r = await login(client, platform)
    good = platform.id_token(r.nonce)
    await launch(client, r.state, tamper(good), r.cookie)  # rejected
    await launch(client, r.state, good, r.cookie)  # accepted
    payload = good.split(".")[1]
    assert payload not in caplog.text and good not in caplog.text
