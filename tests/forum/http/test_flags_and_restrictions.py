"""Flags, the moderation queue, auto-hide, mute and ban, the audit log."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS, Forum


async def test_flag_goes_to_queue_and_staff_resolve_by_hiding(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id, body="buy cheap essays")
    flag_url = f"/api/v1/posts/{reply['id']}/flags"
    response = await client.post(
        flag_url, json={"reason": "spam", "note": "ad"}, headers=course.carol.headers
    )
    assert response.status_code == 201 and response.json()["flagged"]
    assert (
        await client.post(flag_url, json={"reason": "spam"}, headers=course.bob.headers)
    ).status_code == 422
    assert (
        await client.post(flag_url, json={"reason": "meh"}, headers=course.alice.headers)
    ).status_code == 400
    queue_url = f"/api/v1/courses/{course.id}/moderation/queue"
    assert (await client.get(queue_url, headers=course.alice.headers)).status_code == 403
    [item] = (await client.get(queue_url, headers=course.ta.headers)).json()["items"]
    assert (
        item["post_id"] == reply["id"] and item["reasons"] == ["spam"] and item["notes"] == ["ad"]
    )
    flagged = await client.get(
        f"/api/v1/courses/{course.id}/threads",
        params={"filter": "flagged"},
        headers=course.ta.headers,
    )
    assert [t["id"] for t in flagged.json()["items"]] == [thread_id]
    resolved = await client.post(
        f"{flag_url}/resolve",
        json={"action": "hide", "reason": "advertising"},
        headers=course.ta.headers,
    )
    assert resolved.status_code == 200
    assert (await client.get(queue_url, headers=course.ta.headers)).json()["items"] == []
    assert (await forum.read(course.carol, thread_id))["posts"][1]["hidden"]
    log = (
        await client.get(f"/api/v1/courses/{course.id}/moderation/log", headers=course.ta.headers)
    ).json()
    assert {a["action"] for a in log["items"]} >= {"flags_hidden", "post_hide"}


async def test_dismissed_flags_leave_post_visible(forum, course, client):
    reply = await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    await client.post(
        f"/api/v1/posts/{reply['id']}/flags", json={"reason": "other"}, headers=course.carol.headers
    )
    await client.post(
        f"/api/v1/posts/{reply['id']}/flags/resolve",
        json={"action": "dismiss"},
        headers=course.instructor.headers,
    )
    post = (await client.get(f"/api/v1/posts/{reply['id']}", headers=course.carol.headers)).json()
    assert not post["hidden"]
    assert (
        await client.get(f"/api/v1/courses/{course.id}/moderation/queue", headers=course.ta.headers)
    ).json()["items"] == []


async def test_post_is_hidden_automatically_after_n_distinct_flaggers(conn, client):
    course = await create_course(
        conn,
        people=(
            ("ta", "ta"),
            ("a", "learner"),
            ("b", "learner"),
            ("c", "learner"),
            ("d", "learner"),
        ),
        settings_json={"forum": TEST_FORUM_SETTINGS | {"auto_hide_flags": 2}},
    )
    forum = Forum(client, course)
    thread_id = (await forum.thread(course.a))["thread"]["id"]
    reply = await forum.reply(course.b, thread_id)
    url = f"/api/v1/posts/{reply['id']}/flags"
    first = await client.post(url, json={"reason": "offensive"}, headers=course.c.headers)
    again = await client.post(url, json={"reason": "offensive"}, headers=course.c.headers)
    assert not first.json()["auto_hidden"] and not again.json()["auto_hidden"]  # same person twice
    second = await client.post(url, json={"reason": "offensive"}, headers=course.d.headers)
    assert second.json()["auto_hidden"]
    assert (await forum.read(course.a, thread_id))["posts"][1]["hidden"]
    log = (
        await client.get(f"/api/v1/courses/{course.id}/moderation/log", headers=course.ta.headers)
    ).json()
    assert log["items"][0]["action"] == "post_hide" and log["items"][0]["actor_name"] == "system"


async def test_muted_learner_can_read_but_not_post_vote_or_flag(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.carol, thread_id)
    url = f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions"
    assert (
        await client.put(url, json={"kind": "mute"}, headers=course.alice.headers)
    ).status_code == 403
    muted = await client.put(
        url,
        json={"kind": "mute", "reason": "spamming", "duration_hours": 24},
        headers=course.ta.headers,
    )
    assert (
        muted.status_code == 200 and muted.json()["kind"] == "mute" and muted.json()["expires_at"]
    )
    assert (
        await client.get(f"/api/v1/threads/{thread_id}", headers=course.bob.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/courses/{course.id}/threads", headers=course.bob.headers)
    ).status_code == 200
    for response in [
        await client.post(
            f"/api/v1/threads/{thread_id}/posts", json={"body": "x"}, headers=course.bob.headers
        ),
        await client.post(
            f"/api/v1/courses/{course.id}/threads",
            json={"title": "t", "body": "b"},
            headers=course.bob.headers,
        ),
        await client.put(
            f"/api/v1/posts/{reply['id']}/vote", json={"value": 1}, headers=course.bob.headers
        ),
        await client.post(
            f"/api/v1/posts/{reply['id']}/flags",
            json={"reason": "spam"},
            headers=course.bob.headers,
        ),
    ]:
        assert response.status_code == 403 and "muted" in response.json()["detail"]
    lifted = await client.delete(f"{url}/mute", headers=course.ta.headers)
    assert lifted.status_code == 204
    await forum.reply(course.bob, thread_id)


async def test_banned_learner_cannot_read(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    url = f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions"
    await client.put(
        url, json={"kind": "ban", "reason": "harassment"}, headers=course.instructor.headers
    )
    assert (
        await client.get(f"/api/v1/threads/{thread_id}", headers=course.bob.headers)
    ).status_code == 403
    assert (
        await client.get(f"/api/v1/courses/{course.id}/threads", headers=course.bob.headers)
    ).status_code == 403
    listed = (
        await client.get(f"/api/v1/courses/{course.id}/restrictions", headers=course.ta.headers)
    ).json()
    assert [(r["user_id"], r["kind"]) for r in listed["items"]] == [(course.bob.user_id, "ban")]


async def test_restrictions_expire(forum, course, client, conn):
    url = f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions"
    muted = await client.put(
        url, json={"kind": "mute", "duration_hours": 1}, headers=course.ta.headers
    )
    assert muted.status_code == 200 and muted.json()["expires_at"]
    refused = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "While muted", "body": "b"},
        headers=course.bob.headers,
    )
    assert refused.status_code == 403 and "muted" in refused.json()["detail"]
    await conn.execute(
        "UPDATE forum_restrictions SET expires_at = now() - $2::interval WHERE user_id = $1",
        course.bob.user_id,
        timedelta(seconds=1),
    )
    await forum.thread(course.bob)


async def test_staff_cannot_be_restricted_and_unknown_members_are_404(course, client):
    base = f"/api/v1/courses/{course.id}/members"
    assert (
        await client.put(
            f"{base}/{course.instructor.user_id}/restrictions",
            json={"kind": "ban"},
            headers=course.ta.headers,
        )
    ).status_code == 403
    assert (
        await client.put(
            f"{base}/999999999/restrictions", json={"kind": "ban"}, headers=course.ta.headers
        )
    ).status_code == 404


async def test_every_moderator_action_is_in_the_audit_log(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    h = course.ta.headers
    await client.post(f"/api/v1/threads/{thread_id}/state", json={"action": "pin"}, headers=h)
    await client.post(
        f"/api/v1/threads/{thread_id}/state", json={"action": "lock", "reason": "r"}, headers=h
    )
    await client.put(
        f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions",
        json={"kind": "mute"},
        headers=h,
    )
    await client.delete(
        f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions/mute", headers=h
    )
    log = (
        await client.get(
            f"/api/v1/courses/{course.id}/moderation/log", params={"limit": 2}, headers=h
        )
    ).json()
    more = (
        await client.get(
            f"/api/v1/courses/{course.id}/moderation/log",
            params={"cursor": log["next_cursor"]},
            headers=h,
        )
    ).json()
    actions = [a["action"] for a in log["items"] + more["items"]]
    assert actions == ["unmute", "mute", "thread_lock", "thread_pin"]
    assert all(a["actor_id"] == course.ta.user_id for a in log["items"] + more["items"])


async def test_learners_cannot_flag_a_post_already_hidden(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id, body="off topic")
    hidden = await client.post(
        f"/api/v1/posts/{reply['id']}/hide", json={"reason": "off topic"},
        headers=course.ta.headers,
    )  # fmt: skip
    assert hidden.status_code == 200, hidden.text
    post = (await forum.read(course.carol, thread_id))["posts"][1]
    assert post["hidden"] and not post["can_flag"] and not post["can_vote"]
    refused = await client.post(
        f"/api/v1/posts/{reply['id']}/flags", json={"reason": "spam"}, headers=course.carol.headers
    )
    assert refused.status_code == 409
    queue = await client.get(
        f"/api/v1/courses/{course.id}/moderation/queue", headers=course.ta.headers
    )
    assert queue.json()["items"] == []
    staff_view = (await forum.read(course.ta, thread_id))["posts"][1]
    assert staff_view["can_flag"]  # staff still may (and see the body)
