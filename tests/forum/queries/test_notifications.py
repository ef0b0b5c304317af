"""forum.queries.notifications: who a post notifies, once; the inbox; marking read."""

from __future__ import annotations

from forum.queries import follows, notifications


async def inbox(conn, course, who) -> list:
    return await notifications.select_notifications(
        conn, course.id, who.user_id, unread_only=False, before_id=2**63 - 1, limit=50
    )


async def test_a_reply_notifies_the_parent_author_once(conn, course, make_thread, make_reply):
    thread_id = await make_thread(author=course.alice)
    reply = await make_reply(thread_id, author=course.bob)
    assert await notifications.insert_post_notifications(conn, course.id, reply, []) == 1
    assert await notifications.insert_post_notifications(conn, course.id, reply, []) == 0
    [note] = await inbox(conn, course, course.alice)
    assert (note["kind"], note["post_id"], note["actor_name"]) == ("reply", reply, "Bob")
    assert await inbox(conn, course, course.bob) == []  # never notified of one's own post


async def test_mentions_and_followers(conn, course, make_thread, make_reply):
    thread_id = await make_thread(author=course.alice)
    await follows.insert_follow(conn, course.id, course.ta.user_id, "thread", thread_id)
    reply = await make_reply(thread_id, author=course.bob)
    await notifications.insert_post_notifications(conn, course.id, reply, ["carol"])
    assert [n["kind"] for n in await inbox(conn, course, course.carol)] == ["mention"]
    # A discussion's followers are not told of every reply (only a question's are, of answers).
    assert await inbox(conn, course, course.ta) == []


async def test_marking_read_counts_only_unread(conn, course, make_thread, make_reply):
    thread_id = await make_thread(author=course.alice)
    for _ in range(3):
        await notifications.insert_post_notifications(
            conn, course.id, await make_reply(thread_id), []
        )
    alice = course.alice.user_id
    assert await notifications.count_unread_notifications(conn, course.id, alice) == 3
    first = (await inbox(conn, course, course.alice))[-1]["id"]
    assert await notifications.update_notifications_read(conn, course.id, alice, [first]) == 1
    assert await notifications.update_notifications_read(conn, course.id, alice, None) == 2
    assert await notifications.update_notifications_read(conn, course.id, alice, None) == 0
    assert await notifications.count_unread_notifications(conn, course.id, alice) == 0
