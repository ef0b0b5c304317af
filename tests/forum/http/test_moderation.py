"""Staff moderation through the JSON API: hiding and restoring posts with a reason; locking,
closing and hiding threads; moving them and marking duplicates (flags, the queue, mutes and
bans: tests/forum/http/test_flags_and_restrictions.py)."""

from __future__ import annotations


async def test_staff_hide_and_restore_with_reason(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id, body="rude words")
    url = f"/api/v1/posts/{reply['id']}"
    assert (
        await client.post(f"{url}/hide", json={"reason": "x"}, headers=course.carol.headers)
    ).status_code == 403
    assert (
        await client.post(f"{url}/hide", json={"reason": ""}, headers=course.ta.headers)
    ).status_code == 400
    hidden = await client.post(f"{url}/hide", json={"reason": "Be kind"}, headers=course.ta.headers)
    assert hidden.json()["hidden"] and hidden.json()["hidden_reason"] == "Be kind"
    learner = await forum.read(course.carol, thread_id)
    assert learner["posts"][1]["body_html"] == "" and learner["posts"][1]["hidden_reason"] == ""
    author = await forum.read(course.bob, thread_id)
    assert (
        "rude words" in author["posts"][1]["body_html"]
        and author["posts"][1]["hidden_reason"] == "Be kind"
    )
    assert learner["thread"]["reply_count"] == 0
    await client.post(
        f"{url}/restore", json={"reason": "appeal accepted"}, headers=course.instructor.headers
    )
    assert (await forum.read(course.carol, thread_id))["thread"]["reply_count"] == 1
    actions = [
        a["action"]
        for a in (
            await client.get(
                f"/api/v1/courses/{course.id}/moderation/log", headers=course.ta.headers
            )
        ).json()["items"]
    ]
    assert actions[:2] == ["post_restore", "post_hide"]


async def test_locked_thread_refuses_learner_replies_but_not_staff(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    url = f"/api/v1/threads/{thread_id}/state"
    assert (
        await client.post(url, json={"action": "lock"}, headers=course.ta.headers)
    ).status_code == 422
    response = await client.post(
        url, json={"action": "lock", "reason": "Exam week"}, headers=course.ta.headers
    )
    assert response.json()["thread"]["locked"] and response.json()["state_reason"] == "Exam week"
    blocked = await client.post(
        f"/api/v1/threads/{thread_id}/posts", json={"body": "x"}, headers=course.bob.headers
    )
    assert blocked.status_code == 409 and "Exam week" in blocked.json()["detail"]
    await forum.reply(course.instructor, thread_id)
    await client.post(url, json={"action": "unlock"}, headers=course.ta.headers)
    await forum.reply(course.bob, thread_id)


async def test_closed_question_leaves_unanswered_list(forum, course, client):
    q = (await forum.thread(course.alice, kind="question"))["thread"]["id"]
    await client.post(
        f"/api/v1/threads/{q}/state",
        json={"action": "close", "reason": "Solved in class"},
        headers=course.ta.headers,
    )
    assert (await forum.list(course.alice, filter="unanswered"))["items"] == []


async def test_hidden_thread_is_gone_for_learners_but_staff_see_it(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await client.post(
        f"/api/v1/threads/{thread_id}/state",
        json={"action": "hide", "reason": "spam"},
        headers=course.ta.headers,
    )
    assert (await forum.list(course.bob))["items"] == []
    assert (
        await client.get(f"/api/v1/threads/{thread_id}", headers=course.bob.headers)
    ).status_code == 404
    assert [t["id"] for t in (await forum.list(course.ta))["items"]] == [thread_id]


async def test_move_and_mark_duplicate(forum, course, client):
    board = (
        await client.post(
            f"/api/v1/courses/{course.id}/boards",
            json={"name": "Week 2"},
            headers=course.instructor.headers,
        )
    ).json()
    original = (await forum.thread(course.alice, title="What is albedo?"))["thread"]["id"]
    dup = (await forum.thread(course.bob, title="albedo??"))["thread"]["id"]
    moved = await client.post(
        f"/api/v1/threads/{dup}/move", json={"board_id": board["id"]}, headers=course.ta.headers
    )
    assert moved.json()["thread"]["board_id"] == board["id"]
    assert [t["id"] for t in (await forum.list(course.alice, board=board["id"]))["items"]] == [dup]
    marked = await client.post(
        f"/api/v1/threads/{dup}/duplicate",
        json={"duplicate_of": original},
        headers=course.ta.headers,
    )
    assert marked.json()["thread"]["duplicate_of"] == original and marked.json()["thread"]["closed"]
    assert (
        await client.post(
            f"/api/v1/threads/{dup}/duplicate",
            json={"duplicate_of": dup},
            headers=course.ta.headers,
        )
    ).status_code == 422
    assert (
        await client.post(
            f"/api/v1/threads/{dup}/move",
            json={"board_id": board["id"]},
            headers=course.bob.headers,
        )
    ).status_code == 403
