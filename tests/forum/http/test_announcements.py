"""Announcements (issue 12.6): staff post a pinned announcement that notifies every member
(in-app, and by the email digest unless they chose otherwise) through the outbox and batched jobs,
takes no replies unless staff allow them, and is never notified twice when a batch runs again."""

from __future__ import annotations

import asyncio

from forum.jobs import forum_email_digest
from forum.service import notifications
from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS, inbox
from tests.forum.test_notification_delivery import _ctx, _parsed


async def _announce(forum, course, **extra):
    return await forum.thread(
        course.instructor, title="Exam moved to Friday", body="Room 101.", announcement=True,
        **extra,
    )  # fmt: skip


async def test_an_announcement_is_pinned_and_takes_no_learner_replies(forum, course, client):
    await forum.thread(course.alice, title="Older discussion")
    created = await _announce(forum, course)
    thread = created["thread"]
    assert thread["announcement"] and thread["pinned"] and thread["locked"]
    assert (await forum.list(course.bob))["items"][0]["id"] == thread["id"]  # pinned first
    page = await forum.read(course.bob, thread["id"])
    assert page["can_reply"] is False
    refused = await client.post(
        f"/api/v1/threads/{thread['id']}/posts", json={"body": "Why?"}, headers=course.bob.headers
    )
    assert refused.status_code in (403, 409), refused.text
    await forum.reply(course.ta, thread["id"], body="Staff can still add details.")


async def test_staff_may_allow_replies(forum, course):
    thread = (await _announce(forum, course, allow_replies=True))["thread"]
    assert thread["announcement"] and thread["pinned"] and not thread["locked"]
    assert (await forum.read(course.bob, thread["id"]))["can_reply"] is True
    await forum.reply(course.bob, thread["id"], body="Thanks!")


async def test_learners_cannot_announce_nor_announce_privately(forum, course, client):
    url = f"/api/v1/courses/{course.id}/threads"
    body = {"title": "Party", "body": "Everyone!", "announcement": True}
    refused = await client.post(url, json=body, headers=course.alice.headers)
    assert refused.status_code == 403
    private = await client.post(
        url, json=body | {"recipient_id": course.bob.user_id}, headers=course.instructor.headers
    )
    assert private.status_code == 400


async def test_every_member_is_notified_once_except_who_turned_announcements_off(
    forum, course, client, drain
):
    prefs = f"/api/v1/courses/{course.id}/notifications/preferences"
    kinds = {
        i["kind"]: i["delivery"]
        for i in (await client.get(prefs, headers=course.carol.headers)).json()["items"]
    }
    assert kinds["announcement"] == "email"
    off = await client.put(
        prefs, json={"preferences": {"announcement": "off"}}, headers=course.carol.headers
    )
    assert off.status_code == 200, off.text
    thread = (await _announce(forum, course))["thread"]
    await drain()
    await drain()
    for who in (course.ta, course.alice, course.bob):
        [note] = (await inbox(client, course, who))["items"]
        assert note["kind"] == "announcement" and note["thread_id"] == thread["id"]
        assert note["actor"]["name"] == "Instructor"
    assert (await inbox(client, course, course.carol))["items"] == []
    assert (await inbox(client, course, course.instructor))["items"] == []  # not the author


async def test_the_fan_out_runs_in_batches_and_a_retried_batch_notifies_nobody_twice(conn):
    """Batches of 3 over 8 members: the author is skipped, and so is a member who left."""
    people = [("instructor", "instructor")] + [(f"l{i}", "learner") for i in range(7)]
    course = await create_course(conn, people, settings_json={"forum": TEST_FORUM_SETTINGS})
    await conn.execute(
        "UPDATE memberships SET active = false WHERE course_id = $1 AND user_id = $2",
        course.id,
        course.l6.user_id,
    )
    board = await conn.fetchval(
        "INSERT INTO forum_boards (course_id, name) VALUES ($1, 'General') RETURNING id", course.id
    )
    thread = await conn.fetchval(
        """INSERT INTO forum_threads (course_id, board_id, author_id, kind, title, announcement,
                                      pinned, post_seq, last_seq)
           VALUES ($1, $2, $3, 'discussion', 'News', true, true, 1, 1) RETURNING id""",
        course.id,
        board,
        course.instructor.user_id,
    )
    post = await conn.fetchval(
        """INSERT INTO forum_posts (course_id, thread_id, seq, path, depth, author_id, title,
                                    body, body_html)
           VALUES ($1, $2, 1, '00000001', 0, $3, 'News', 'b', '<p>b</p>') RETURNING id""",
        course.id,
        thread,
        course.instructor.user_id,
    )
    await notifications.announce_later(conn, course.id, post)
    queued = await conn.fetch(
        "SELECT args FROM outbox WHERE job = 'forum_announce_batch' AND course_id = $1", course.id
    )
    assert [list(r["args"]) for r in queued] == [[course.id, post, 0]]

    first = await notifications.announce_batch(conn, course.id, post, 0, batch=3)
    # The author (first by id) was scanned but not notified; l0 and l1 were.
    assert first == (2, course.l1.user_id)
    assert await notifications.announce_batch(conn, course.id, post, 0, batch=3) is None  # retry
    queued = await conn.fetch(
        """SELECT args FROM outbox WHERE job = 'forum_announce_batch' AND course_id = $1
            ORDER BY id""",
        course.id,
    )
    assert [list(r["args"])[2] for r in queued] == [0, course.l1.user_id]  # no second "next"
    # A job goes on from there, batch after batch; a stale job finds nothing to do.
    rest = await notifications.announce_batches(conn, course.id, post, course.l1.user_id, batch=3)
    assert rest == 4  # l2..l5 (l6 left the course)
    assert await notifications.announce_batches(conn, course.id, post, course.l1.user_id) == 0
    total = first[0] + rest
    notified = await conn.fetch(
        """SELECT user_id, count(*) AS n FROM forum_notifications
            WHERE course_id = $1 AND post_id = $2 GROUP BY user_id""",
        course.id,
        post,
    )
    expected = {course.members[f"l{i}"].user_id for i in range(7)} - {course.l6.user_id}
    assert {r["user_id"] for r in notified} == expected and total == 6
    assert all(r["n"] == 1 for r in notified)
    fanout = await conn.fetchrow(
        "SELECT finished_at, notified FROM forum_fanouts WHERE course_id = $1", course.id
    )
    assert fanout["finished_at"] is not None and fanout["notified"] == 6
    # Done: the email digest runs now for them, not at its next half hour.
    digest = await conn.fetchval(
        "SELECT count(*) FROM outbox WHERE job = 'forum_email_digest' AND course_id = $1",
        course.id,
    )
    assert digest == 1
    # Any batch run again after the end changes nothing.
    assert await notifications.announce_batch(conn, course.id, post, 0, batch=3) is None


async def test_the_announcement_is_emailed_by_the_digest_respecting_preferences(
    forum, course, client, conn, drain, database, redis, smtp, settings
):
    controller, mailbox = smtp
    for who in (course.alice, course.bob):
        await conn.execute(
            "UPDATE users SET email = $2 WHERE id = $1", who.user_id, f"{who.name}@example.org"
        )
    in_app = await client.put(
        f"/api/v1/courses/{course.id}/notifications/preferences",
        json={"preferences": {"announcement": "in_app"}},
        headers=course.bob.headers,
    )
    assert in_app.status_code == 200
    await _announce(forum, course)
    await drain()
    assert await forum_email_digest(_ctx(database, redis, settings, controller.port)) == 1
    await asyncio.sleep(0.05)
    [envelope] = mailbox.messages
    assert envelope.rcpt_tos == ["Alice@example.org"]
    text = _parsed(envelope).get_body(("plain",)).get_content()
    assert "Exam moved to Friday" in text and "announcement" in text
    assert len((await inbox(client, course, course.bob))["items"]) == 1  # in the forum only
