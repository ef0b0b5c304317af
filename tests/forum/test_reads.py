"""Read tracking: unread counts per thread and per board stay right after every change."""

from __future__ import annotations


async def unread(forum, who, thread_id):
    items = {t["id"]: t for t in (await forum.list(who))["items"]}
    return items[thread_id]["unread_count"]


async def board_unread(client, course, who):
    boards = (await client.get(f"/api/v1/courses/{course.id}/boards", headers=who.headers)).json()
    return boards["items"][0]["unread_threads"]


async def test_unread_counts_follow_posts_reads_edits_and_deletes(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    assert await unread(forum, course.alice, thread_id) == 0  # own thread
    assert await unread(forum, course.bob, thread_id) == 1  # never opened
    assert await board_unread(client, course, course.bob) == 1
    await client.put(f"/api/v1/threads/{thread_id}/read", headers=course.bob.headers)
    assert await unread(forum, course.bob, thread_id) == 0
    assert await board_unread(client, course, course.bob) == 0

    r1 = await forum.reply(course.carol, thread_id)
    r2 = await forum.reply(course.carol, thread_id)
    assert await unread(forum, course.bob, thread_id) == 2
    assert await board_unread(client, course, course.bob) == 1
    assert [p["unread"] for p in (await forum.read(course.bob, thread_id))["posts"]] == [
        False,
        True,
        True,
    ]

    await client.patch(
        f"/api/v1/posts/{r1['id']}", json={"body": "edited"}, headers=course.carol.headers
    )
    assert await unread(forum, course.bob, thread_id) == 2  # an edit is not a new post

    await client.delete(f"/api/v1/posts/{r2['id']}", headers=course.carol.headers)
    assert await unread(forum, course.bob, thread_id) == 1  # deleted posts are not unread

    await client.post(
        f"/api/v1/posts/{r1['id']}/hide", json={"reason": "off topic"}, headers=course.ta.headers
    )
    assert await unread(forum, course.bob, thread_id) == 0
    assert await board_unread(client, course, course.bob) == 0
    assert (await forum.list(course.bob, filter="unread"))["items"] == []

    await client.post(
        f"/api/v1/posts/{r1['id']}/restore", json={"reason": "ok"}, headers=course.ta.headers
    )
    assert await unread(forum, course.bob, thread_id) == 1
    assert [t["id"] for t in (await forum.list(course.bob, filter="unread"))["items"]] == [
        thread_id
    ]


async def test_own_reply_does_not_make_thread_unread(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await client.put(f"/api/v1/threads/{thread_id}/read", headers=course.bob.headers)
    await forum.reply(course.bob, thread_id)
    assert await unread(forum, course.bob, thread_id) == 0
    assert (await forum.list(course.bob, filter="unread"))["items"] == []


async def test_own_reply_keeps_earlier_unread_posts_unread(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await client.put(f"/api/v1/threads/{thread_id}/read", headers=course.bob.headers)
    await forum.reply(course.carol, thread_id)
    await forum.reply(course.bob, thread_id)
    assert await unread(forum, course.bob, thread_id) == 1


async def test_mark_read_up_to_a_sequence_number(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    for _ in range(3):
        await forum.reply(course.carol, thread_id)
    response = await client.put(
        f"/api/v1/threads/{thread_id}/read", json={"seq": 2}, headers=course.bob.headers
    )
    assert response.json() == {"thread_id": thread_id, "read_seq": 2}
    assert await unread(forum, course.bob, thread_id) == 2
    page = await forum.read(course.bob, thread_id)
    assert page["read_seq"] == 2 and page["thread"]["unread_count"] == 2
