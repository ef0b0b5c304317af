"""Accepted launches: what a launch writes (course, user, membership with the mapped role,
resource link and its target, session), relaunches, and Redis down failing closed."""

import re

import httpx
import pytest

from agora.app import create_app
from agora.lti import claims as c
from agora.redis import create_redis
from agora.sessions import select_principal
from tests.agora.lti.conftest import counts, launch, login
from tests.agora.lti.platform import MEMBERSHIP


def session_token(response) -> str:
    match = re.search(r'<meta name="agora-session" content="([^"]+)"', response.text)
    assert match, response.text
    return match.group(1)


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
