"""In-app notifications through the outbox and arq: who is told of what, marking them read."""

from __future__ import annotations

from tests.forum.conftest import inbox


async def test_reply_mention_answer_and_endorsement_notify_the_right_people(
    forum, course, client, drain
):
    q = (await forum.thread(course.alice, kind="question"))["thread"]["id"]
    await client.put(f"/api/v1/threads/{q}/follow", headers=course.carol.headers)
    answer = await forum.reply(course.bob, q, body="Try this, @ta")
    await drain()
    assert [
        (n["kind"], n["actor"]["name"])
        for n in (await inbox(client, course, course.alice))["items"]
    ] == [("reply", "Bob")]
    assert [n["kind"] for n in (await inbox(client, course, course.carol))["items"]] == ["answer"]
    assert [n["kind"] for n in (await inbox(client, course, course.ta))["items"]] == ["mention"]
    assert (await inbox(client, course, course.bob))["items"] == []  # never for your own post
    await client.put(f"/api/v1/posts/{answer['id']}/endorse", headers=course.instructor.headers)
    await drain()
    [endorsed] = (await inbox(client, course, course.bob))["items"]
    assert endorsed["kind"] == "endorsement" and endorsed["actor"]["name"] == "Instructor"


async def test_mark_notifications_read(forum, course, client, drain):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    for _ in range(3):
        await forum.reply(course.bob, thread_id, parent_id=None)
    await drain()
    page = await inbox(client, course, course.alice)
    # One thread root post: three replies to it → three notifications (one per post).
    assert page["unread"] == 3
    first = page["items"][0]["id"]
    await client.post(
        f"/api/v1/courses/{course.id}/notifications/read",
        json={"ids": [first]},
        headers=course.alice.headers,
    )
    assert (await inbox(client, course, course.alice))["unread"] == 2
    assert len((await inbox(client, course, course.alice, unread="true"))["items"]) == 2
    await client.post(
        f"/api/v1/courses/{course.id}/notifications/read",
        json={"all": True},
        headers=course.alice.headers,
    )
    assert (await inbox(client, course, course.alice))["unread"] == 0
