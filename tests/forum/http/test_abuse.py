"""Abuse by a group of learners: flags cannot silence the course team or a pinned announcement,
and edits are rate limited."""

from __future__ import annotations

from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS, Forum

PEOPLE = (
    ("instructor", "instructor"),
    ("ta", "ta"),
    ("a", "learner"),
    ("b", "learner"),
    ("c", "learner"),
)


async def flag_twice(client, course, post_id):
    """Two learners flag the post (auto_hide_flags is 2 in these courses)."""
    url = f"/api/v1/posts/{post_id}/flags"
    results = [
        (await client.post(url, json={"reason": "offensive"}, headers=who.headers)).json()
        for who in (course.b, course.c)
    ]
    return results[-1]


async def queued_post_ids(client, course):
    queue = await client.get(
        f"/api/v1/courses/{course.id}/moderation/queue", headers=course.ta.headers
    )
    return [item["post_id"] for item in queue.json()["items"]]


async def flag_course(conn):
    return await create_course(
        conn, PEOPLE, settings_json={"forum": TEST_FORUM_SETTINGS | {"auto_hide_flags": 2}}
    )


async def test_learner_flags_send_staff_posts_to_the_queue_not_out_of_sight(conn, client):
    course = await flag_course(conn)
    forum = Forum(client, course)
    thread_id = (await forum.thread(course.a, anonymity="none"))["thread"]["id"]
    answers = [await forum.reply(who, thread_id) for who in (course.ta, course.instructor)]
    for answer in answers:
        result = await flag_twice(client, course, answer["id"])
        assert result == {"post_id": answer["id"], "flagged": True, "auto_hidden": False}
    posts = (await forum.read(course.a, thread_id))["posts"]
    assert [p["hidden"] for p in posts] == [False, False, False]
    assert sorted(await queued_post_ids(client, course)) == sorted(a["id"] for a in answers)
    # a learner's reply still goes out of sight on the same flags
    learner_reply = await forum.reply(course.a, thread_id)
    assert (await flag_twice(client, course, learner_reply["id"]))["auto_hidden"]


async def test_a_pinned_threads_opening_post_is_not_hidden_by_flags(conn, client):
    course = await flag_course(conn)
    forum = Forum(client, course)
    thread = await forum.thread(course.a, title="Study group notes", anonymity="none")
    thread_id, opening_id = thread["thread"]["id"], thread["posts"][0]["id"]
    pinned = await client.post(
        f"/api/v1/threads/{thread_id}/state",
        json={"action": "pin", "reason": "useful"},
        headers=course.ta.headers,
    )
    assert pinned.status_code == 200
    assert not (await flag_twice(client, course, opening_id))["auto_hidden"]
    read = await forum.read(course.b, thread_id)
    assert not read["thread"]["hidden"] and not read["posts"][0]["hidden"]
    assert await queued_post_ids(client, course) == [opening_id]
    # replies in a pinned thread are not protected
    reply = await forum.reply(course.a, thread_id)
    assert (await flag_twice(client, course, reply["id"]))["auto_hidden"]


async def test_edits_are_rate_limited_per_learner_with_retry_after(conn, client):
    course = await create_course(conn, PEOPLE, settings_json={"forum": TEST_FORUM_SETTINGS})
    forum = Forum(client, course)
    settings_url = f"/api/v1/courses/{course.id}/forum/settings"
    assert (await client.get(settings_url, headers=course.ta.headers)).json()["settings"][
        "edits_per_hour"
    ] == 30  # the default
    changed = await client.patch(
        settings_url, json={"edits_per_hour": 2}, headers=course.instructor.headers
    )
    assert changed.status_code == 200 and changed.json()["settings"]["edits_per_hour"] == 2
    thread = await forum.thread(course.a, anonymity="none")
    thread_id, opening_id = thread["thread"]["id"], thread["posts"][0]["id"]
    reply = await forum.reply(course.a, thread_id)
    first = await client.patch(
        f"/api/v1/posts/{reply['id']}", json={"body": "v2"}, headers=course.a.headers
    )
    # editing the thread's opening post counts too
    second = await client.patch(
        f"/api/v1/threads/{thread_id}", json={"title": "Renamed"}, headers=course.a.headers
    )
    assert (first.status_code, second.status_code) == (200, 200)
    third = await client.patch(
        f"/api/v1/posts/{opening_id}", json={"body": "v3"}, headers=course.a.headers
    )
    assert third.status_code == 429
    assert third.headers["content-type"] == "application/problem+json"
    assert 1 <= int(third.headers["retry-after"]) <= 3600
    assert (await forum.read(course.b, thread_id))["posts"][0]["body_html"].count("v3") == 0
    # per learner; staff are not limited
    mine = await forum.reply(course.b, thread_id)
    assert (
        await client.patch(
            f"/api/v1/posts/{mine['id']}", json={"body": "fixed"}, headers=course.b.headers
        )
    ).status_code == 200
    for n in range(3):
        staff_edit = await client.patch(
            f"/api/v1/posts/{reply['id']}",
            json={"body": f"moderated {n}", "reason_code": "policy"},
            headers=course.ta.headers,
        )
        assert staff_edit.status_code == 200
