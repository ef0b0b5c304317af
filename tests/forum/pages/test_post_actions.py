"""Acting on posts from the thread page (forum.pages.post_actions and replying): reply,
endorse, accept, vote."""

from __future__ import annotations

import re

from tests.forum.pages.conftest import ui


async def test_reply_endorse_and_accept_through_the_page(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    htmx = {"HX-Request": "true"}
    response = await client.post(
        thread + "/posts", data={"body": "Yes, per unit mass."}, headers=course.bob.headers | htmx
    )
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="thread-live"' in response.text
    assert "Yes, per unit mass." in response.text
    post_id = int(re.findall(r'data-post-id="(\d+)"', response.text)[-1])

    as_ta = await client.get(thread, headers=course.ta.headers)
    assert f"/posts/{post_id}/endorse" in as_ta.text
    endorsed = await client.post(
        f"{thread}/posts/{post_id}/endorse", data={"endorsed": "1"}, headers=course.ta.headers
    )
    assert "Endorsed by staff" in endorsed.text

    as_alice = await client.get(thread, headers=course.alice.headers)
    assert f"/posts/{post_id}/accept" in as_alice.text
    assert f"/posts/{post_id}/endorse" not in as_alice.text
    accepted = await client.post(
        f"{thread}/posts/{post_id}/accept", data={"accepted": "1"}, headers=course.alice.headers
    )
    assert "Accepted answer" in accepted.text and "Answered" in accepted.text


async def test_vote_toggles_and_is_pressed(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    page = await client.get(thread, headers=course.bob.headers)
    post_id = re.search(r'data-post-id="(\d+)"', page.text).group(1)
    voted = await client.post(
        f"{thread}/posts/{post_id}/vote", data={"value": "1"}, headers=course.bob.headers
    )
    assert voted.status_code == 200
    assert 'aria-pressed="true"' in voted.text and "▲ 1" in voted.text
