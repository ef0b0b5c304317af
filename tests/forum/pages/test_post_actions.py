"""Acting on posts from the thread page (forum.pages.post_actions and replying): reply,
endorse, accept, vote; each post offers exactly the tools its `can_*` flags (forum.rules) allow."""

from __future__ import annotations

import re
from datetime import timedelta

from forum.schemas import PostCreate
from forum.service import posts as posts_service
from forum.service import threads as threads_service
from tests.forum.pages.conftest import principal_of, ui

TOOLS = ("reply", "edit", "accept", "endorse", "flag", "hide", "vote")


def tools_of(page: str, post_id: int) -> set[str]:
    """The actions the page offers on one post (its buttons' and forms' URLs)."""
    article = page.split(f'id="post-{post_id}"', 1)[1].split("</article>", 1)[0]
    return {tool for tool in TOOLS if f"/posts/{post_id}/{tool}" in article}


async def test_reply_endorse_and_accept_through_the_page(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    htmx = {"HX-Request": "true"}
    response = await client.post(
        thread + "/posts", data={"body": "Yes, per unit mass."}, headers=course.bob.headers | htmx
    )
    assert response.status_code == 200
    # The answer is the new post alone, in a run naming the container it belongs in (the
    # opening post's replies), where the page puts it.
    assert "<html" not in response.text and 'id="thread-live"' not in response.text
    assert response.text.lstrip().startswith('<div class="run" data-into="00000001">')
    assert response.text.count("<article") == 1
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
    # Only the vote control changed: that is the answer (it replaces itself).
    assert voted.text.lstrip().startswith('<form class="vote"') and "<article" not in voted.text
    undone = await client.post(
        f"{thread}/posts/{post_id}/vote", data={"value": "0"}, headers=course.bob.headers
    )
    assert 'aria-pressed="false"' in undone.text and "▲ 0" in undone.text


async def test_each_post_offers_exactly_the_tools_the_viewer_may_use(
    client, conn, redis, course, question
):
    bob = await principal_of(conn, course.bob)
    answer = await posts_service.create_post(
        conn, redis, bob, question.id, PostCreate(body="Answer")
    )
    opening = (await threads_service.read_thread(conn, bob, question.id)).posts[0].id
    thread = ui(course, f"/forum/threads/{question.id}")

    async def tools(member) -> tuple[set[str], set[str]]:
        page = (await client.get(thread, headers=member.headers)).text
        return tools_of(page, opening), tools_of(page, answer.id)

    # The asker edits the question and accepts the answer; the answerer edits the answer; nobody
    # votes on their own post (the page shows its score instead).
    assert await tools(course.alice) == ({"reply", "edit"}, {"reply", "accept", "flag", "vote"})
    assert await tools(course.bob) == ({"reply", "flag", "vote"}, {"reply", "edit"})
    assert await tools(course.carol) == ({"reply", "flag", "vote"}, {"reply", "flag", "vote"})
    # Staff edit, hide and endorse anything but the opening post (no endorsement there).
    staff = {"reply", "edit", "flag", "hide", "vote"}
    assert await tools(course.ta) == (staff, staff | {"endorse"})

    # Once the author's edit window has closed, the page stops offering "Edit" (and the form).
    await conn.execute(
        "UPDATE forum_posts SET created_at = created_at - $2::interval WHERE id = $1",
        answer.id,
        timedelta(minutes=31),
    )
    assert await tools(course.bob) == ({"reply", "flag", "vote"}, {"reply"})
    form = await client.get(
        f"{thread}/posts/{answer.id}/edit", headers=course.bob.headers | {"HX-Request": "true"}
    )
    assert form.status_code == 404


async def test_a_muted_learner_gets_no_tools_that_write(client, course, question):
    await client.put(
        f"/api/v1/courses/{course.id}/members/{course.alice.user_id}/restrictions",
        json={"kind": "mute"},
        headers=course.ta.headers,
    )
    page = await client.get(
        ui(course, f"/forum/threads/{question.id}"), headers=course.alice.headers
    )
    opening = int(re.search(r'data-post-id="(\d+)"', page.text).group(1))
    assert tools_of(page.text, opening) == set()
    assert 'class="reply-box"' not in page.text


async def test_only_a_staff_edit_of_someone_elses_post_asks_for_a_reason(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    page = await client.get(thread, headers=course.alice.headers)
    opening = int(re.search(r'data-post-id="(\d+)"', page.text).group(1))
    htmx = {"HX-Request": "true"}
    url = f"{thread}/posts/{opening}/edit"
    by_author = await client.get(url, headers=course.alice.headers | htmx)
    by_staff = await client.get(url, headers=course.ta.headers | htmx)
    assert by_author.status_code == by_staff.status_code == 200
    assert 'name="reason_code"' not in by_author.text
    assert 'name="reason_code"' in by_staff.text
