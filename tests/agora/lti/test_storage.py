import re

from agora.sessions import select_principal
from tests.agora.lti.conftest import counts, launch, login


async def test_login_with_platform_storage_answers_a_put_data_page(client, platform):
    r = await login(client, platform, lti_storage_target="post_message_forwarding")
    assert r.response.status_code == 200
    page = r.response.text
    assert "lti/login-storage.js" in page  # lti.put_data: tests/agora/test_security_headers.py
    assert 'data-target="post_message_forwarding"' in page
    assert f'data-origin="{platform.url}"' in page
    assert f"{platform.url}/auth?" in page
    assert r.state and r.nonce
    assert "Partitioned" in r.response.headers["set-cookie"]  # the cookie is still offered


async def test_cookieless_launch_completes_after_platform_storage_confirms(client, conn, platform):
    r = await login(client, platform, lti_storage_target="_parent")
    before = await counts(conn)
    response = await launch(
        client, r.state, platform.id_token(r.nonce), None, lti_storage_target="_parent"
    )
    assert response.status_code == 200
    assert "lti/launch-storage.js" in response.text  # lti.get_data
    assert await counts(conn) == before  # nothing is created until storage confirms
    pending = re.search(r'name="launch" value="([^"]+)"', response.text).group(1)
    done = await client.post("/lti/launch/complete", data={"launch": pending, "state": r.state})
    assert done.status_code == 200, done.text
    token = re.search(r'name="agora-session" content="([^"]+)"', done.text).group(1)
    assert (await select_principal(conn, token)).role == "learner"
    replay = await client.post("/lti/launch/complete", data={"launch": pending, "state": r.state})
    assert replay.status_code == 400


async def test_cookieless_launch_with_a_wrong_stored_state_creates_nothing(client, conn, platform):
    r = await login(client, platform, lti_storage_target="_parent")
    response = await launch(client, r.state, platform.id_token(r.nonce), None)
    pending = re.search(r'name="launch" value="([^"]+)"', response.text).group(1)
    before = await counts(conn)
    done = await client.post("/lti/launch/complete", data={"launch": pending, "state": "other"})
    assert done.status_code == 400 and "another state" in done.text
    assert await counts(conn) == before


async def test_storage_login_with_the_cookie_back_launches_at_once(client, conn, platform):
    r = await login(client, platform, lti_storage_target="_parent")
    response = await launch(client, r.state, platform.id_token(r.nonce), r.cookie)
    assert 'name="agora-session"' in response.text
