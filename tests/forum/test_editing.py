"""Edits with revisions, deletes, hide/restore, lock/close, move, duplicate, post-first."""

from __future__ import annotations

from datetime import timedelta


async def test_author_edit_keeps_a_revision_with_who_when_why(forum, course, client):
    reply = await forum.reply(
        course.bob, (await forum.thread(course.alice))["thread"]["id"], body="v1"
    )
    response = await client.patch(
        f"/api/v1/posts/{reply['id']}",
        json={"body": "v2 *new*", "reason": "typo"},
        headers=course.bob.headers,
    )
    assert response.status_code == 200
    assert (
        response.json()["body_html"] == "<p>v2 <em>new</em></p>\n" and response.json()["edited_at"]
    )
    revisions = (
        await client.get(f"/api/v1/posts/{reply['id']}/revisions", headers=course.carol.headers)
    ).json()
    [rev] = revisions["items"]
    assert rev["body"] == "v1" and rev["reason"] == "typo" and rev["editor"]["name"] == "Bob"


async def test_only_author_or_staff_edit_and_staff_need_a_reason_code(forum, course, client):
    reply = await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    url = f"/api/v1/posts/{reply['id']}"
    assert (
        await client.patch(url, json={"body": "x"}, headers=course.carol.headers)
    ).status_code == 403
    assert (
        await client.patch(url, json={"body": "x"}, headers=course.ta.headers)
    ).status_code == 422
    response = await client.patch(
        url,
        json={"body": "x", "reason_code": "answer_leak", "reason": "no solutions"},
        headers=course.ta.headers,
    )
    assert response.status_code == 200
    log = (
        await client.get(
            f"/api/v1/courses/{course.id}/moderation/log", headers=course.instructor.headers
        )
    ).json()
    assert log["items"][0]["action"] == "post_edit"
    assert log["items"][0]["details"] == {"reason_code": "answer_leak"}


async def test_author_edit_window_closes(forum, course, client, conn):
    reply = await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    await conn.execute(
        "UPDATE forum_posts SET created_at = created_at - $2::interval WHERE id = $1",
        reply["id"],
        timedelta(minutes=31),
    )
    response = await client.patch(
        f"/api/v1/posts/{reply['id']}", json={"body": "late"}, headers=course.bob.headers
    )
    assert response.status_code == 403 and "30 minutes" in response.json()["detail"]


async def test_thread_title_edit_changes_list_and_search(forum, course, client):
    thread_id = (await forum.thread(course.alice, title="Old title"))["thread"]["id"]
    response = await client.patch(
        f"/api/v1/threads/{thread_id}",
        json={"title": "Permafrost thaw"},
        headers=course.alice.headers,
    )
    assert response.json()["thread"]["title"] == "Permafrost thaw"
    hits = (
        await client.get(
            f"/api/v1/courses/{course.id}/search",
            params={"q": "permafrost"},
            headers=course.bob.headers,
        )
    ).json()
    assert [h["thread_id"] for h in hits["items"]] == [thread_id]


async def test_soft_deleted_post_stays_as_placeholder(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    a = await forum.reply(course.bob, thread_id, body="secret words")
    child = await forum.reply(course.carol, thread_id, parent_id=a["id"])
    assert (
        await client.delete(f"/api/v1/posts/{a['id']}", headers=course.carol.headers)
    ).status_code == 403
    assert (
        await client.delete(f"/api/v1/posts/{a['id']}", headers=course.bob.headers)
    ).status_code == 204
    page = await forum.read(course.alice, thread_id)
    placeholder = page["posts"][1]
    assert placeholder["deleted"] and placeholder["body_html"] == "" and placeholder["body"] is None
    assert page["posts"][2]["id"] == child["id"]
    assert page["thread"]["reply_count"] == 1
    staff_view = await forum.read(course.ta, thread_id)
    assert "secret words" in staff_view["posts"][1]["body_html"]


async def test_deleting_the_opening_post_removes_the_thread_from_lists(forum, course, client):
    created = await forum.thread(course.alice)
    await client.delete(f"/api/v1/posts/{created['posts'][0]['id']}", headers=course.alice.headers)
    assert (await forum.list(course.bob))["items"] == []
    assert (
        await client.get(f"/api/v1/threads/{created['thread']['id']}", headers=course.bob.headers)
    ).status_code == 404


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


async def test_post_before_you_see_replies(forum, course, client):
    thread_id = (await forum.thread(course.instructor, title="Your view?", post_first=True))[
        "thread"
    ]["id"]
    await forum.reply(course.alice, thread_id, body="alice's view")
    before = await forum.read(course.bob, thread_id)
    assert before["replies_hidden_until_you_post"] and len(before["posts"]) == 1
    hits = (
        await client.get(
            f"/api/v1/courses/{course.id}/search", params={"q": "view"}, headers=course.bob.headers
        )
    ).json()
    assert all(h["post_id"] == before["posts"][0]["id"] for h in hits["items"])
    await forum.reply(course.bob, thread_id, body="bob's view")
    after = await forum.read(course.bob, thread_id)
    assert not after["replies_hidden_until_you_post"] and len(after["posts"]) == 3
    assert len((await forum.read(course.ta, thread_id))["posts"]) == 3
