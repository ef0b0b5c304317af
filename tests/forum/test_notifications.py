"""In-app notifications through the outbox and arq, and the email digest over real SMTP."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiosmtpd.controller import Controller

from agora.settings import load_settings
from forum.jobs import forum_email_digest


async def inbox(client, course, who, **params):
    response = await client.get(
        f"/api/v1/courses/{course.id}/notifications", params=params, headers=who.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


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


async def test_jobs_run_twice_notify_once(forum, course, client, drain, run_jobs, database, redis):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id)
    await drain()
    from forum.jobs import forum_notify_post

    await forum_notify_post({"db": database}, course.id, reply["id"], [])
    assert len((await inbox(client, course, course.alice))["items"]) == 1


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


async def test_new_threads_notify_board_and_course_followers(forum, course, client, drain):
    board = (
        await client.get(f"/api/v1/courses/{course.id}/boards", headers=course.bob.headers)
    ).json()["items"][0]
    await client.put(
        f"/api/v1/courses/{course.id}/boards/{board['id']}/follow", headers=course.bob.headers
    )
    assert (
        await client.put(f"/api/v1/courses/{course.id}/follow", headers=course.carol.headers)
    ).status_code == 403
    await client.put(f"/api/v1/courses/{course.id}/follow", headers=course.instructor.headers)
    await forum.thread(course.alice)
    await drain()
    assert [n["kind"] for n in (await inbox(client, course, course.bob))["items"]] == ["new_thread"]
    assert [n["kind"] for n in (await inbox(client, course, course.instructor))["items"]] == [
        "new_thread"
    ]


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's readiness check needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, mailbox
    controller.stop()


async def test_email_digest_sends_unread_notifications_once(
    forum, course, client, conn, drain, database, redis, smtp, settings
):
    controller, mailbox = smtp
    await conn.execute(
        "UPDATE users SET email = 'alice@example.org' WHERE id = $1", course.alice.user_id
    )
    thread_id = (await forum.thread(course.alice, title="Ice cores"))["thread"]["id"]
    await forum.reply(course.bob, thread_id, anonymity="all")
    await drain()
    port = controller.port
    ctx = {
        "db": database,
        "redis": redis,
        "settings": load_settings(
            environ={},
            database_url=settings.database_url,
            redis_url=settings.redis_url,
            smtp_host="127.0.0.1",
            smtp_port=port,
        ),
    }
    assert await forum_email_digest(ctx) == 1
    assert await forum_email_digest(ctx) == 0  # already emailed
    await asyncio.sleep(0.05)
    [message] = mailbox.messages
    text = message.content.decode()
    assert message.rcpt_tos == ["alice@example.org"]
    assert "Ice cores" in text and "Anonymous replied to your post" in text and "Bob" not in text


async def test_email_digest_does_nothing_without_smtp(
    forum, course, drain, database, redis, settings
):
    await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    await drain()
    assert await forum_email_digest({"db": database, "redis": redis, "settings": settings}) == 0
