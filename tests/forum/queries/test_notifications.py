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
    # A discussion's followers hear of its replies too (issue 12.3), as 'thread_reply'.
    assert [n["kind"] for n in await inbox(conn, course, course.ta)] == ["thread_reply"]


async def test_a_kind_turned_off_is_not_written(conn, course, make_thread, make_reply):
    thread_id = await make_thread(author=course.alice)
    await follows.insert_follow(conn, course.id, course.ta.user_id, "thread", thread_id)
    await notifications.upsert_preferences(
        conn, course.id, course.ta.user_id, {"thread_reply": "off"}
    )
    await notifications.upsert_preferences(
        conn, course.id, course.alice.user_id, {"reply": "in_app"}
    )
    reply = await make_reply(thread_id, author=course.bob)
    assert await notifications.insert_post_notifications(conn, course.id, reply, []) == 1
    assert await inbox(conn, course, course.ta) == []
    assert [n["kind"] for n in await inbox(conn, course, course.alice)] == ["reply"]
    assert await notifications.select_preferences(conn, course.id, course.ta.user_id) == {
        "thread_reply": "off"
    }


async def test_unsubscribing_keeps_what_was_off(conn, course):
    user = course.carol.user_id
    await notifications.upsert_preferences(conn, course.id, user, {"mention": "off"})
    await notifications.update_email_off(conn, course.id, user, ["mention", "reply"])
    assert await notifications.select_preferences(conn, course.id, user) == {
        "mention": "off",
        "reply": "in_app",
    }


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
