"""A thread page's posts as forum.pages.post_html lays them out: each viewer's own view of a
post (anonymity, hidden bodies, own vote, unread marker, what they may do, their language),
the new body at once after an edit. Where the order of viewers could matter, both orders."""

from __future__ import annotations

import re

import pytest

from agora.sessions import create_session
from forum.schemas import PostCreate, PostUpdate
from forum.service import moderation as moderation_service
from forum.service import posts as posts_service
from forum.service import votes as votes_service
from tests.forum.pages.conftest import principal_of, ui


def article(page: str, post_id: int) -> str:
    """One post's <article> in a page."""
    match = re.search(rf'<article id="post-{post_id}".*?</article>', page, re.S)
    assert match, f"post {post_id} not on the page"
    return match.group(0)


async def post_as_seen(client, course, thread_id: int, post_id: int, member) -> str:
    page = await client.get(ui(course, f"/forum/threads/{thread_id}"), headers=member.headers)
    assert page.status_code == 200, page.text
    return article(page.text, post_id)


@pytest.fixture
async def reply(conn, redis, course, question):
    """Alice's reply, anonymous to her peers."""
    alice = await principal_of(conn, course.alice)
    return await posts_service.create_post(
        conn,
        redis,
        alice,
        question.id,
        PostCreate(body="Heat *capacity* matters.", anonymity="peers"),
    )


@pytest.mark.parametrize("staff_first", [True, False])
async def test_a_learner_never_gets_the_staff_view_of_an_anonymous_post(
    client, course, question, reply, staff_first
):
    order = [course.ta, course.bob] if staff_first else [course.bob, course.ta]
    seen = {m.name: await post_as_seen(client, course, question.id, reply.id, m) for m in order}
    assert "Heat <em>capacity</em> matters." in seen["Bob"]
    assert "Alice" not in seen["Bob"] and "Anonymous" in seen["Bob"]
    assert "anonymous to peers" not in seen["Bob"]
    assert "Alice" in seen["Ta"] and "anonymous to peers" in seen["Ta"]
    # Their author sees it as theirs, and may edit it; the others may not.
    as_alice = await post_as_seen(client, course, question.id, reply.id, course.alice)
    assert "Alice" in as_alice and "(you)" in as_alice and "/edit" in as_alice
    assert "(you)" not in seen["Bob"] and "/edit" not in seen["Bob"]
    # Learners who see it alike see the same markup.
    as_carol = await post_as_seen(client, course, question.id, reply.id, course.carol)
    assert "Alice" not in as_carol and as_carol == seen["Bob"]


async def test_an_edited_post_shows_its_new_body_at_once(
    client, conn, redis, course, question, reply
):
    before = await post_as_seen(client, course, question.id, reply.id, course.bob)
    assert "Heat <em>capacity</em> matters." in before and "edited" not in before
    alice = await principal_of(conn, course.alice)
    await posts_service.edit_post(conn, redis, alice, reply.id, PostUpdate(body="Mass **too**."))
    for member in (course.bob, course.ta, course.alice):
        after = await post_as_seen(client, course, question.id, reply.id, member)
        assert "Mass <strong>too</strong>." in after and "capacity" not in after
        assert "edited" in after and "Edit history" in after


@pytest.mark.parametrize("staff_first", [True, False])
async def test_a_hidden_post_shows_its_body_and_reason_to_staff_only(
    client, conn, course, question, reply, staff_first
):
    ta = await principal_of(conn, course.ta)
    await moderation_service.set_post_hidden(conn, ta, reply.id, True, "Off-topic rant")
    order = [course.ta, course.bob] if staff_first else [course.bob, course.ta]
    seen = {m.name: await post_as_seen(client, course, question.id, reply.id, m) for m in order}
    assert "Heat <em>capacity</em>" in seen["Ta"] and "Off-topic rant" in seen["Ta"]
    assert "capacity" not in seen["Bob"] and "Off-topic rant" not in seen["Bob"]
    # Restored: everyone sees the body again, without the staff's reason.
    await moderation_service.set_post_hidden(conn, ta, reply.id, False, "")
    again = await post_as_seen(client, course, question.id, reply.id, course.bob)
    assert "Heat <em>capacity</em>" in again and "is-hidden" not in again


async def test_own_vote_and_unread_marker_are_each_viewers_own(
    client, conn, course, question, reply
):
    bob = await principal_of(conn, course.bob)
    fresh = await post_as_seen(client, course, question.id, reply.id, course.carol)
    assert "is-unread" in fresh  # Carol had not seen it
    await votes_service.vote(conn, bob, reply.id, 1)
    as_bob = await post_as_seen(client, course, question.id, reply.id, course.bob)
    as_carol = await post_as_seen(client, course, question.id, reply.id, course.carol)
    assert 'aria-pressed="true"' in as_bob and "▲ 1" in as_bob
    assert 'aria-pressed="false"' in as_carol and "▲ 1" in as_carol
    assert "is-unread" not in as_carol  # seen on her first visit


async def test_a_post_renders_in_each_viewers_language(client, conn, course, question, reply):
    token = await create_session(
        conn, user_id=course.bob.user_id, course_id=course.id, role="learner",
        ttl_seconds=600, locale="fr",
    )  # fmt: skip
    thread = ui(course, f"/forum/threads/{question.id}")
    english = article((await client.get(thread, headers=course.carol.headers)).text, reply.id)
    french_page = await client.get(thread, headers={"Authorization": f"Bearer {token}"})
    french = article(french_page.text, reply.id)
    assert ">Reply<" in english and ">Répondre<" in french and ">Reply<" not in french
    again = article((await client.get(thread, headers=course.carol.headers)).text, reply.id)
    assert ">Reply<" in again and "Répondre" not in again
    assert "Masquer les réponses" in french_page.text  # the tree's own labels too
