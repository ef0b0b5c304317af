"""Private threads (issue 12.5): a learner asks staff privately, staff write to one learner, and
staff make a private question public (optionally anonymous). Nobody else reaches a private thread
by any road: list, page, API, search, board counts, follow, replies, votes, notifications, live
events."""

from __future__ import annotations

import asyncio

from tests.forum.conftest import inbox
from tests.forum.http.test_events import Listener, server, subscribers  # noqa: F401 (fixture)


async def _private_question(forum, course, title="Private: my grade on week 2"):
    return (await forum.thread(course.alice, title=title, body="Why 7/10?", private=True))["thread"]


async def test_a_private_question_is_seen_by_its_asker_and_staff_only(forum, course, client):
    thread = await _private_question(forum, course)
    assert thread["private"] is True
    public = (await forum.thread(course.carol, title="Public one"))["thread"]["id"]
    for who in (course.alice, course.ta, course.instructor):
        assert thread["id"] in [t["id"] for t in (await forum.list(who))["items"]]
        assert (await forum.read(who, thread["id"]))["thread"]["private"] is True
    bob_list = [t["id"] for t in (await forum.list(course.bob))["items"]]
    assert public in bob_list and thread["id"] not in bob_list
    assert (await client.get(f"/api/v1/threads/{thread['id']}", headers=course.bob.headers)
            ).status_code == 404  # fmt: skip
    posts = await client.get(f"/api/v1/threads/{thread['id']}/posts", headers=course.bob.headers)
    assert posts.status_code == 404


async def test_other_learners_cannot_reply_vote_follow_or_open_its_posts(forum, course, client):
    thread = await _private_question(forum, course)
    root = (await forum.read(course.alice, thread["id"]))["posts"][0]["id"]
    bob = course.bob.headers
    reply = await client.post(
        f"/api/v1/threads/{thread['id']}/posts", json={"body": "peek"}, headers=bob
    )
    assert reply.status_code == 404
    assert (await client.get(f"/api/v1/posts/{root}", headers=bob)).status_code == 404
    vote = await client.put(f"/api/v1/posts/{root}/vote", json={"value": 1}, headers=bob)
    assert vote.status_code == 404
    follow = await client.put(f"/api/v1/threads/{thread['id']}/follow", headers=bob)
    assert follow.status_code == 404
    # The asker and staff talk in it.
    await forum.reply(course.ta, thread["id"], body="Because of question 3.")
    await forum.reply(course.alice, thread["id"], body="Thanks!")
    assert len((await forum.read(course.alice, thread["id"]))["posts"]) == 3


async def test_another_learner_never_finds_a_private_thread_by_search(forum, course, client):
    await _private_question(forum, course, title="Plagiarism worry about zymurgy essay")
    url = f"/api/v1/courses/{course.id}/search"
    for who, expected in ((course.bob, 0), (course.alice, 1), (course.ta, 1)):
        hits = (await client.get(url, params={"q": "zymurgy"}, headers=who.headers)).json()
        assert len(hits["items"]) == expected, (who.name, hits)
    similar = await client.get(
        f"/api/v1/courses/{course.id}/threads/similar",
        params={"title": "zymurgy essay"},
        headers=course.bob.headers,
    )
    if similar.status_code == 200:  # the suggestions never name a private thread either
        assert "zymurgy" not in similar.text.lower()


async def test_board_counts_do_not_count_others_private_threads(forum, course, client):
    await _private_question(forum, course)

    async def counts(who):
        boards = (
            await client.get(f"/api/v1/courses/{course.id}/boards", headers=who.headers)
        ).json()
        return sum(b["thread_count"] for b in boards["items"]), sum(
            b["unread_threads"] for b in boards["items"]
        )

    assert await counts(course.bob) == (0, 0)
    assert (await counts(course.ta))[0] == 1
    assert (await counts(course.alice))[0] == 1


async def test_staff_hear_of_a_private_question_and_other_learners_never(
    forum, course, client, drain
):
    # Carol follows the whole course: she still hears nothing of Alice's private question.
    await client.put(f"/api/v1/courses/{course.id}/follow", headers=course.carol.headers)
    thread = await _private_question(forum, course)
    await drain()
    for who in (course.ta, course.instructor):
        [note] = (await inbox(client, course, who))["items"]
        assert note["kind"] == "new_thread" and note["thread_id"] == thread["id"]
    assert (await inbox(client, course, course.carol))["items"] == []
    assert (await inbox(client, course, course.bob))["items"] == []
    await forum.reply(course.ta, thread["id"], body="Answered privately")
    await drain()
    assert [n["kind"] for n in (await inbox(client, course, course.alice))["items"]] == ["reply"]


async def test_staff_write_to_one_learner(forum, course, client, drain):
    to_bob = (
        await forum.thread(
            course.instructor, title="About your late submission", recipient_id=course.bob.user_id
        )
    )["thread"]
    assert to_bob["private"] is True
    await drain()
    assert (await forum.read(course.bob, to_bob["id"]))["thread"]["title"].startswith("About")
    [note] = (await inbox(client, course, course.bob))["items"]
    assert note["thread_id"] == to_bob["id"]
    assert (await inbox(client, course, course.alice))["items"] == []
    hidden = await client.get(f"/api/v1/threads/{to_bob['id']}", headers=course.alice.headers)
    assert hidden.status_code == 404
    await forum.reply(course.bob, to_bob["id"], body="Sorry, I was ill.")

    url = f"/api/v1/courses/{course.id}/threads"
    body = {"title": "Hi Bob", "body": "psst"}
    as_learner = await client.post(
        url, json=body | {"recipient_id": course.bob.user_id}, headers=course.alice.headers
    )
    assert as_learner.status_code == 403
    to_staff = await client.post(
        url, json=body | {"recipient_id": course.ta.user_id}, headers=course.instructor.headers
    )
    assert to_staff.status_code == 400
    nobody = await client.post(
        url, json=body | {"recipient_id": 2**40}, headers=course.instructor.headers
    )
    assert nobody.status_code == 400
    staff_private = await client.post(
        url, json=body | {"private": True}, headers=course.instructor.headers
    )
    assert staff_private.status_code == 400


async def test_staff_make_a_private_question_public_anonymously(forum, course, client):
    thread = await _private_question(forum, course)
    await forum.reply(course.ta, thread["id"], body="Good question, sharing it.")
    url = f"/api/v1/threads/{thread['id']}/publish"
    refused = await client.post(url, json={}, headers=course.alice.headers)
    assert refused.status_code == 403
    hidden = await client.post(url, json={}, headers=course.bob.headers)
    assert hidden.status_code == 404
    published = await client.post(url, json={"anonymous": True}, headers=course.ta.headers)
    assert published.status_code == 200, published.text
    assert published.json()["thread"]["private"] is False
    again = await client.post(url, json={}, headers=course.ta.headers)
    assert again.status_code == 409

    seen = await forum.read(course.bob, thread["id"])
    assert seen["thread"]["author"]["name"] != "Alice"
    assert "Alice" not in str(seen)
    assert [p["author"]["name"] for p in seen["posts"]][1] == "Ta"
    assert thread["id"] in [t["id"] for t in (await forum.list(course.bob))["items"]]
    staff_view = await forum.read(course.instructor, thread["id"])
    assert staff_view["thread"]["author"]["name"] == "Alice"  # staff still see who asked


async def test_publish_without_anonymity_keeps_the_name(forum, course, client):
    thread = await _private_question(forum, course)
    response = await client.post(
        f"/api/v1/threads/{thread['id']}/publish", headers=course.instructor.headers
    )
    assert response.status_code == 200, response.text
    assert (await forum.read(course.bob, thread["id"]))["thread"]["author"]["name"] == "Alice"


async def test_live_events_of_a_private_thread_reach_staff_and_the_asker_only(
    server,  # noqa: F811 (the SSE server fixture)
    app,
    forum,
    course,
    drain,
):
    thread = await _private_question(forum, course)
    await drain()
    async with (
        Listener(server, course, course.bob) as bob,
        Listener(server, course, course.alice) as alice,
        Listener(server, course, course.ta) as ta,
    ):
        await subscribers(app, course, 3)
        reply = await forum.reply(course.ta, thread["id"], body="Private answer")
        await drain()
        assert (await alice.wait_for(1))[0]["data"]["post_id"] == reply["id"]
        assert (await ta.wait_for(1))[0]["data"]["post_id"] == reply["id"]
        await asyncio.sleep(0.2)
        assert bob.events == []


async def test_mentioning_a_learner_in_a_private_thread_tells_them_nothing(
    forum, course, client, drain
):
    thread = (
        await forum.thread(course.alice, title="Private about Bob", body="@Bob copied me",
                           private=True)
    )["thread"]  # fmt: skip
    await forum.reply(course.alice, thread["id"], body="@Carol saw it too, @Ta")
    await drain()
    assert (await inbox(client, course, course.bob))["items"] == []
    assert (await inbox(client, course, course.carol))["items"] == []
    assert {n["kind"] for n in (await inbox(client, course, course.ta))["items"]} >= {"mention"}


async def test_the_private_filter_lists_the_private_threads_one_may_see(forum, course):
    mine = await _private_question(forum, course)
    await forum.thread(course.carol, title="Carol's own private one", private=True)
    await forum.thread(course.bob, title="Public")
    staff = [t["id"] for t in (await forum.list(course.ta, filter="private"))["items"]]
    assert len(staff) == 2 and mine["id"] in staff
    alice = [t["id"] for t in (await forum.list(course.alice, filter="private"))["items"]]
    assert alice == [mine["id"]]
    assert (await forum.list(course.bob, filter="private"))["items"] == []
