"""The session a launch opens, seen from the browser: the partitioned session cookie for the
course's pages, and a launch with a lower role revoking the user's older sessions."""

from __future__ import annotations

import re

import httpx

from agora.sessions import select_principal
from tests.agora.lti.conftest import launch, login
from tests.agora.lti.platform import MEMBERSHIP


async def launched(client, platform, roles=(MEMBERSHIP + "Learner",), sub="user-learner"):
    """A real launch; (its answer, its session token)."""
    result = await login(client, platform)
    token = platform.id_token(result.nonce, roles=list(roles), sub=sub)
    response = await launch(client, result.state, token, result.cookie)
    assert response.status_code == 200, response.text
    match = re.search(r'<meta name="agora-session" content="([^"]+)"', response.text)
    return response, match.group(1)


def session_set_cookie(response: httpx.Response) -> str:
    values = [v for v in response.headers.get_list("set-cookie") if v.startswith("agora_session=")]
    assert len(values) == 1, response.headers.get_list("set-cookie")
    return values[0]


async def test_launch_sets_a_partitioned_httponly_cookie_for_the_course_pages(
    client, conn, platform, settings
):
    response, token = await launched(client, platform)
    cookie = session_set_cookie(response)
    course_id = (await select_principal(conn, token)).course_id
    attributes = [a.strip() for a in cookie.split(";")]
    assert attributes[0] == f"agora_session={token}"
    assert {
        f"Path=/ui/courses/{course_id}",
        f"Max-Age={settings.session_ttl}",
        "Secure",
        "HttpOnly",
        "SameSite=None",
        "Partitioned",
    } == set(attributes[1:])


async def test_the_cookie_alone_opens_the_course_pages_on_a_reload(client, conn, platform):
    response, token = await launched(client, platform)
    course_id = (await select_principal(conn, token)).course_id
    client.cookies.clear()
    reload = await client.get(
        f"/ui/courses/{course_id}/forum", headers={"Cookie": f"agora_session={token}"}
    )
    assert reload.status_code == 200
    # The reloaded page hands the token to its scripts again, so htmx keeps sending the Bearer.
    assert f'<meta name="agora-session" content="{token}">' in reload.text


async def test_a_demoting_launch_revokes_the_older_higher_sessions(client, conn, platform):
    _, instructor_token = await launched(client, platform, roles=[MEMBERSHIP + "Instructor"])
    principal = await select_principal(conn, instructor_token)
    boards = f"/api/v1/courses/{principal.course_id}/boards"
    bearer = {"Authorization": f"Bearer {instructor_token}"}
    client.cookies.clear()
    assert (await client.post(boards, json={"name": "Week 1"}, headers=bearer)).status_code == 201

    _, learner_token = await launched(client, platform, roles=[MEMBERSHIP + "Learner"])
    client.cookies.clear()
    refused = await client.post(boards, json={"name": "Week 2"}, headers=bearer)
    assert refused.status_code == 401
    assert await select_principal(conn, instructor_token) is None
    assert (await select_principal(conn, learner_token)).role == "learner"
