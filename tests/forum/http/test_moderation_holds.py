"""Moderation that holds (issue 12.2): dismissing flags undoes an auto-hide but not a moderator's
hide; staff redact revisions and a redacting edit takes the leak out of learners' edit history;
the Edit button goes when the edit window closes; votes and flags on locked/closed threads."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS, Forum


async def _auto_hide_course(conn, client):
    course = await create_course(
        conn,
        people=(("ta", "ta"), ("a", "learner"), ("b", "learner"), ("c", "learner")),
        settings_json={"forum": TEST_FORUM_SETTINGS | {"auto_hide_flags": 2}},
    )
    return course, Forum(client, course)


async def _log(client, course):
    response = await client.get(
        f"/api/v1/courses/{course.id}/moderation/log", headers=course.ta.headers
    )
    return [(e["action"], e["actor_name"]) for e in response.json()["items"]]


async def test_dismissing_flags_restores_an_auto_hidden_post(conn, client):
    course, forum = await _auto_hide_course(conn, client)
    thread_id = (await forum.thread(course.a))["thread"]["id"]
    reply = await forum.reply(course.b, thread_id, body="a fair point, unpopular")
    url = f"/api/v1/posts/{reply['id']}/flags"
    await client.post(url, json={"reason": "offensive"}, headers=course.a.headers)
    flagged = await client.post(url, json={"reason": "offensive"}, headers=course.c.headers)
    assert flagged.json()["auto_hidden"]
    dismissed = await client.post(
        f"{url}/resolve", json={"action": "dismiss", "reason": "not offensive"},
        headers=course.ta.headers,
    )  # fmt: skip
    assert dismissed.status_code == 200
    post = (await forum.read(course.c, thread_id))["posts"][1]
    assert not post["hidden"] and post["body_html"]
    assert (await forum.read(course.c, thread_id))["thread"]["reply_count"] == 1
    assert await _log(client, course) == [
        ("flags_dismissed", "Ta"),
        ("post_restore", "Ta"),
        ("post_hide", "system"),
    ]


async def test_dismissing_flags_keeps_a_post_a_moderator_hid(conn, client):
    course, forum = await _auto_hide_course(conn, client)
    thread_id = (await forum.thread(course.a))["thread"]["id"]
    reply = await forum.reply(course.b, thread_id)
    hidden = await client.post(
        f"/api/v1/posts/{reply['id']}/hide", json={"reason": "exam answer"},
        headers=course.ta.headers,
    )  # fmt: skip
    assert hidden.status_code == 200
    url = f"/api/v1/posts/{reply['id']}/flags"
    await client.post(url, json={"reason": "other"}, headers=course.c.headers)
    await client.post(url, json={"action": "dismiss"}, headers=course.ta.headers)
    await client.post(f"{url}/resolve", json={"action": "dismiss"}, headers=course.ta.headers)
    assert (await forum.read(course.c, thread_id))["posts"][1]["hidden"]
    assert ("post_restore", "Ta") not in await _log(client, course)


async def test_dismissing_later_flags_keeps_a_hide_staff_confirmed(conn, client):
    course, forum = await _auto_hide_course(conn, client)
    thread_id = (await forum.thread(course.a))["thread"]["id"]
    reply = await forum.reply(course.b, thread_id)
    url = f"/api/v1/posts/{reply['id']}/flags"
    for who in (course.a, course.c):
        await client.post(url, json={"reason": "spam"}, headers=who.headers)
    confirmed = await client.post(
        f"{url}/resolve", json={"action": "hide"}, headers=course.ta.headers
    )
    assert confirmed.status_code == 200
    await conn.execute(  # a new round of flags on the hidden post, then dismissed
        "DELETE FROM forum_flags WHERE course_id = $1 AND post_id = $2", course.id, reply["id"]
    )
    await client.post(url, json={"reason": "other"}, headers=course.c.headers)
    await client.post(f"{url}/resolve", json={"action": "dismiss"}, headers=course.ta.headers)
    assert (await forum.read(course.c, thread_id))["posts"][1]["hidden"]


async def _history(client, who, post_id):
    response = await client.get(f"/api/v1/posts/{post_id}/revisions", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_answer_leak_edit_takes_the_leak_out_of_learners_history(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id, body="Q3 answer is 42, draft")
    url = f"/api/v1/posts/{reply['id']}"
    own = await client.patch(  # the author's own edit keeps the leak in the older text
        url, json={"body": "Q3 answer is 42"}, headers=course.bob.headers
    )
    assert own.status_code == 200, own.text
    staff = await client.patch(
        url, json={"body": "[removed by staff]", "reason_code": "answer_leak"},
        headers=course.ta.headers,
    )  # fmt: skip
    assert staff.status_code == 200, staff.text
    for learner in (course.carol, course.bob):
        history = await _history(client, learner, reply["id"])
        assert len(history) == 2 and all(r["withheld"] for r in history)
        assert all(r["body"] == "" and r["title"] is None for r in history)
        assert history[1]["reason_code"] == "answer_leak"
    staff_view = await _history(client, course.ta, reply["id"])
    assert [r["body"] for r in staff_view] == ["Q3 answer is 42, draft", "Q3 answer is 42"]
    typo = await client.patch(
        url, json={"body": "[removed by staff].", "reason_code": "typo"}, headers=course.ta.headers
    )
    assert typo.status_code == 200
    later = await _history(client, course.carol, reply["id"])
    assert later[2]["body"] == "[removed by staff]" and not later[2]["withheld"]


async def test_staff_redact_a_revision_for_learners_and_the_log_says_why(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id, body="call me on 555-0100")
    await client.patch(
        f"/api/v1/posts/{reply['id']}", json={"body": "call me"}, headers=course.bob.headers
    )
    [revision] = await _history(client, course.carol, reply["id"])
    assert revision["body"] == "call me on 555-0100" and not revision["can_redact"]
    url = f"/api/v1/posts/{reply['id']}/revisions/{revision['id']}/redact"
    refused = await client.post(url, json={"reason": "x"}, headers=course.carol.headers)
    assert refused.status_code == 403
    assert (
        await client.post(url, json={"reason": ""}, headers=course.ta.headers)
    ).status_code == 400
    missing = await client.post(
        f"/api/v1/posts/{reply['id']}/revisions/999999999/redact", json={"reason": "x"},
        headers=course.ta.headers,
    )  # fmt: skip
    assert missing.status_code == 404
    redacted = await client.post(url, json={"reason": "phone number"}, headers=course.ta.headers)
    assert redacted.status_code == 200, redacted.text
    assert redacted.json()["redacted"] and redacted.json()["body"] == "call me on 555-0100"
    [learner_view] = await _history(client, course.carol, reply["id"])
    assert learner_view["body"] == "" and learner_view["redacted"]
    assert learner_view["redaction_reason"] == ""
    [staff_view] = await _history(client, course.instructor, reply["id"])
    assert staff_view["body"] == "call me on 555-0100"
    assert staff_view["redaction_reason"] == "phone number"
    log = (
        await client.get(f"/api/v1/courses/{course.id}/moderation/log", headers=course.ta.headers)
    ).json()["items"]
    assert log[0]["action"] == "revision_redact" and log[0]["reason"] == "phone number"
    assert log[0]["details"] == {"revision_id": revision["id"]}


async def test_redacting_a_revision_of_another_post_is_not_found(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    first = await forum.reply(course.bob, thread_id, body="one")
    second = await forum.reply(course.bob, thread_id, body="two")
    await client.patch(
        f"/api/v1/posts/{first['id']}", json={"body": "one!"}, headers=course.bob.headers
    )
    [revision] = await _history(client, course.ta, first["id"])
    response = await client.post(
        f"/api/v1/posts/{second['id']}/revisions/{revision['id']}/redact",
        json={"reason": "wrong post"}, headers=course.ta.headers,
    )  # fmt: skip
    assert response.status_code == 404


async def test_edit_permission_ends_with_the_edit_window(conn, client):
    course = await create_course(
        conn, settings_json={"forum": TEST_FORUM_SETTINGS | {"edit_window_minutes": 30}}
    )
    forum = Forum(client, course)
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id)
    assert (await forum.read(course.bob, thread_id))["posts"][1]["can_edit"]
    await conn.execute(
        """UPDATE forum_posts SET created_at = created_at - $3::interval
            WHERE course_id = $1 AND id = $2""",
        course.id, reply["id"], timedelta(minutes=31),
    )  # fmt: skip
    assert not (await forum.read(course.bob, thread_id))["posts"][1]["can_edit"]
    assert (await forum.read(course.ta, thread_id))["posts"][1]["can_edit"]
    late = await client.patch(
        f"/api/v1/posts/{reply['id']}", json={"body": "late"}, headers=course.bob.headers
    )
    assert late.status_code == 403


async def test_locked_and_closed_threads_take_votes_and_flags_not_learner_replies(
    forum, course, client
):
    for action in ("lock", "close"):
        thread_id = (await forum.thread(course.alice, title=f"To {action}"))["thread"]["id"]
        reply = await forum.reply(course.bob, thread_id)
        changed = await client.post(
            f"/api/v1/threads/{thread_id}/state", json={"action": action, "reason": "done"},
            headers=course.ta.headers,
        )  # fmt: skip
        assert changed.status_code == 200
        vote = await client.put(
            f"/api/v1/posts/{reply['id']}/vote", json={"value": 1}, headers=course.carol.headers
        )
        assert vote.status_code == 200 and vote.json()["score"] == 1
        flag = await client.post(
            f"/api/v1/posts/{reply['id']}/flags", json={"reason": "spam"},
            headers=course.carol.headers,
        )  # fmt: skip
        assert flag.status_code == 201
        refused = await client.post(
            f"/api/v1/threads/{thread_id}/posts", json={"body": "x"}, headers=course.carol.headers
        )
        assert refused.status_code in (403, 409)
        post = (await forum.read(course.carol, thread_id))["posts"][1]
        assert post["can_vote"] and post["can_flag"]
