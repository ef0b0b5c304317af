"""Questions and answers: accept, endorse, unanswered; votes and their counters."""

from __future__ import annotations


async def test_thread_author_accepts_an_answer_and_question_leaves_unanswered(
    forum, course, client
):
    q = (await forum.thread(course.alice, kind="question"))["thread"]["id"]
    answer = await forum.reply(course.bob, q, body="Because of infrared absorption")
    unanswered = await forum.list(course.carol, filter="unanswered")
    assert [t["id"] for t in unanswered["items"]] == [q]
    assert (
        await client.put(f"/api/v1/posts/{answer['id']}/accept", headers=course.carol.headers)
    ).status_code == 403
    response = await client.put(
        f"/api/v1/posts/{answer['id']}/accept", headers=course.alice.headers
    )
    assert response.status_code == 200 and response.json()["accepted"]
    assert (await forum.list(course.carol, filter="unanswered"))["items"] == []
    assert (await forum.read(course.carol, q))["thread"]["answered"]
    undo = await client.delete(f"/api/v1/posts/{answer['id']}/accept", headers=course.alice.headers)
    assert undo.status_code == 200 and not undo.json()["accepted"]
    assert [t["id"] for t in (await forum.list(course.carol, filter="unanswered"))["items"]] == [q]


async def test_only_one_accepted_answer_per_question(forum, course, client):
    q = (await forum.thread(course.alice, kind="question"))["thread"]["id"]
    a = await forum.reply(course.bob, q)
    b = await forum.reply(course.carol, q)
    await client.put(f"/api/v1/posts/{a['id']}/accept", headers=course.alice.headers)
    await client.put(f"/api/v1/posts/{b['id']}/accept", headers=course.alice.headers)
    posts = {p["id"]: p for p in (await forum.read(course.alice, q))["posts"]}
    assert not posts[a["id"]]["accepted"] and posts[b["id"]]["accepted"]


async def test_discussions_have_no_accepted_answers(forum, course, client):
    d = (await forum.thread(course.alice, kind="discussion"))["thread"]["id"]
    a = await forum.reply(course.bob, d)
    assert (
        await client.put(f"/api/v1/posts/{a['id']}/accept", headers=course.alice.headers)
    ).status_code == 409


async def test_staff_endorse_answers_learners_cannot(forum, course, client):
    q = (await forum.thread(course.alice, kind="question"))["thread"]["id"]
    a = await forum.reply(course.bob, q)
    assert (
        await client.put(f"/api/v1/posts/{a['id']}/endorse", headers=course.carol.headers)
    ).status_code == 403
    response = await client.put(f"/api/v1/posts/{a['id']}/endorse", headers=course.ta.headers)
    assert response.status_code == 200 and response.json()["endorsed"]
    assert (await forum.read(course.carol, q))["thread"]["answered"]
    await client.delete(f"/api/v1/posts/{a['id']}/endorse", headers=course.instructor.headers)
    assert not (await forum.read(course.carol, q))["thread"]["answered"]


async def test_deleting_the_accepted_answer_makes_question_unanswered_again(forum, course, client):
    q = (await forum.thread(course.alice, kind="question"))["thread"]["id"]
    a = await forum.reply(course.bob, q)
    await client.put(f"/api/v1/posts/{a['id']}/accept", headers=course.alice.headers)
    assert (
        await client.delete(f"/api/v1/posts/{a['id']}", headers=course.bob.headers)
    ).status_code == 204
    assert not (await forum.read(course.carol, q))["thread"]["answered"]


async def test_vote_up_and_undo_keep_score_counters(forum, course, client):
    created = await forum.thread(course.alice)
    thread_id, root = created["thread"]["id"], created["posts"][0]["id"]
    reply = await forum.reply(course.bob, thread_id)
    url = f"/api/v1/posts/{reply['id']}/vote"
    for who in (course.alice, course.carol):
        response = await client.put(url, json={"value": 1}, headers=who.headers)
        assert response.json() == {
            "post_id": reply["id"],
            "score": 1 if who is course.alice else 2,
            "voted": True,
        }
    again = await client.put(url, json={"value": 1}, headers=course.carol.headers)
    assert again.json()["score"] == 2  # voting twice counts once
    undo = await client.put(url, json={"value": 0}, headers=course.carol.headers)
    assert undo.json() == {"post_id": reply["id"], "score": 1, "voted": False}
    page = await forum.read(course.alice, thread_id)
    assert page["posts"][1]["voted"] and page["posts"][1]["score"] == 1
    await client.put(f"/api/v1/posts/{root}/vote", json={"value": 1}, headers=course.bob.headers)
    assert (await forum.read(course.alice, thread_id))["thread"]["score"] == 1


async def test_cannot_vote_for_own_post_or_with_a_bad_value(forum, course, client):
    reply = await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    url = f"/api/v1/posts/{reply['id']}/vote"
    assert (await client.put(url, json={"value": 1}, headers=course.bob.headers)).status_code == 422
    assert (
        await client.put(url, json={"value": -1}, headers=course.alice.headers)
    ).status_code == 400


async def test_sort_by_votes(forum, course, client):
    low = await forum.thread(course.alice, title="low")
    high = await forum.thread(course.bob, title="high")
    await client.put(
        f"/api/v1/posts/{high['posts'][0]['id']}/vote",
        json={"value": 1},
        headers=course.carol.headers,
    )
    items = (await forum.list(course.alice, sort="votes"))["items"]
    assert [t["id"] for t in items] == [high["thread"]["id"], low["thread"]["id"]]
