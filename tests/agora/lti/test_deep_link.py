import re

from joserfc import jwt
from joserfc.jwk import KeySet

from agora.lti import claims as c
from agora.sessions import select_principal
from tests.agora.lti.conftest import counts, launch, launched, login
from tests.agora.lti.platform import MEMBERSHIP


def dl_claims(platform, **settings):
    return {
        "message_type": c.DEEP_LINKING_REQUEST,
        "resource_link": None,
        c.TARGET_LINK_URI: None,
        "roles": [MEMBERSHIP + "Instructor"],
        "sub": "teacher-1",
        "dl_settings": {
            "deep_link_return_url": f"{platform.url}/dl-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "data": "opaque-platform-data",
            **settings,
        },
    }


def session_of(response) -> str:
    return re.search(r'<meta name="agora-session" content="([^"]+)"', response.text).group(1)


async def test_instructor_deep_link_round_trip(client, conn, platform):
    principal, response = await launched(client, conn, platform, **dl_claims(platform))
    assert principal.role == "instructor" and principal.target["kind"] == "deep_link"
    assert "/api/v1/courses/" in response.text and 'value="forum"' in response.text
    answer = await client.post(
        "/lti/deep-link/return",
        data={
            "session_token": session_of(response),
            "item": ["board:4", "assignment:9", "forum"],
            "title:board:4": "Week 1 <b>board</b>",
            "title:assignment:9": "Essay review",
        },
    )
    assert answer.status_code == 200, answer.text
    assert f'action="{platform.url}/dl-return"' in answer.text
    signed = re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1)
    published = KeySet.import_key_set((await client.get("/lti/jwks")).json())
    token = jwt.decode(signed, published, algorithms=["RS256"])
    assert token.header["kid"] == published.keys[0].kid
    body = token.claims
    assert body["iss"] == platform.client_id and body["aud"] == platform.issuer
    assert body["nonce"] and body["exp"] > body["iat"]
    assert body[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse" and body[c.VERSION] == "1.3.0"
    assert body[c.DEPLOYMENT_ID] == platform.deployment_id
    assert body[c.DL_DATA] == "opaque-platform-data"
    board, assignment, forum = body[c.DL_CONTENT_ITEMS]
    assert board["type"] == "ltiResourceLink" and board["title"] == "Week 1 board"
    assert board["url"] == "http://testserver.local/lti/launch"
    assert board["custom"] == {"agora_target": "board", "agora_target_id": "4"}
    assert "lineItem" not in board
    assert assignment["lineItem"] == {
        "scoreMaximum": 100,
        "label": "Essay review",
        "resourceId": "assignment-9",
        "tag": "agora-peer-review",
    }
    assert forum["custom"] == {"agora_target": "forum"}

    # The platform stores the link; launching it opens the picked target.
    r = await login(client, platform)
    launched_board = await launch(
        client,
        r.state,
        platform.id_token(
            r.nonce, custom=assignment["custom"], resource_link={"id": "created-by-dl"}
        ),
        r.cookie,
    )
    target = (await select_principal(conn, session_of(launched_board))).target
    assert target == {"kind": "assignment", "id": 9}

    again = await client.post(
        "/lti/deep-link/return", data={"session_token": session_of(response), "item": "forum"}
    )
    assert again.status_code == 410


async def test_single_item_when_the_platform_does_not_accept_multiple(client, conn, platform):
    _, response = await launched(
        client, conn, platform, **dl_claims(platform, accept_multiple=False)
    )
    assert 'type="radio"' in response.text
    answer = await client.post(
        "/lti/deep-link/return",
        data={"session_token": session_of(response), "item": ["board:1", "board:2"]},
    )
    signed = re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1)
    items = jwt.decode(signed, KeySet.import_key_set((await client.get("/lti/jwks")).json()))
    assert len(items.claims[c.DL_CONTENT_ITEMS]) == 1


async def test_learners_cannot_deep_link_and_nothing_is_created(client, conn, platform):
    r = await login(client, platform)
    before = await counts(conn)
    claims = {**dl_claims(platform), "roles": [MEMBERSHIP + "Learner"]}
    response = await launch(client, r.state, platform.id_token(r.nonce, **claims), r.cookie)
    assert response.status_code == 403 and "only instructors" in response.text
    assert await counts(conn) == before


async def test_teaching_assistants_cannot_deep_link(client, conn, platform):
    r = await login(client, platform)
    claims = {**dl_claims(platform), "roles": [MEMBERSHIP + "Mentor"]}
    response = await launch(client, r.state, platform.id_token(r.nonce, **claims), r.cookie)
    assert response.status_code == 403


async def test_deep_link_return_needs_the_instructors_deep_link_session(client, conn, platform):
    learner, response = await launched(client, conn, platform)
    token = session_of(response)
    answer = await client.post(
        "/lti/deep-link/return", data={"session_token": token, "item": "forum"}
    )
    assert answer.status_code == 403
    answer = await client.post("/lti/deep-link/return", data={"session_token": "nope"})
    assert answer.status_code == 401


async def test_deep_link_request_without_return_url_is_rejected(client, conn, platform):
    r = await login(client, platform)
    claims = dl_claims(platform)
    claims["dl_settings"] = {"accept_types": ["ltiResourceLink"]}
    response = await launch(client, r.state, platform.id_token(r.nonce, **claims), r.cookie)
    assert response.status_code == 400 and "deep_link_return_url" in response.text


async def test_the_picker_can_list_and_create_through_the_course_api(client, conn, platform):
    """The calls the picker page makes in the browser, with its session token."""
    from agora.lti.deeplink import NEW_ASSIGNMENT_RUBRIC

    principal, response = await launched(client, conn, platform, **dl_claims(platform))
    assert "data-rubric=" in response.text
    headers = {"Authorization": f"Bearer {session_of(response)}"}
    course = principal.course_id
    boards = await client.get(f"/api/v1/courses/{course}/boards", headers=headers)
    assert boards.status_code == 200
    assert all("id" in b and ("title" in b or "name" in b) for b in boards.json()["items"])
    created = await client.post(
        f"/api/v1/courses/{course}/assignments",
        json={"title": "Essay review", "rubric": NEW_ASSIGNMENT_RUBRIC},
        headers=headers,
    )
    assert created.status_code in (200, 201), created.text
    listed = await client.get(f"/api/v1/courses/{course}/assignments", headers=headers)
    assert created.json()["id"] in [a["id"] for a in listed.json()["items"]]
