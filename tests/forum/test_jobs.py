"""The forum's arq jobs: notifying is safe to run twice; the email digest over real SMTP."""

from __future__ import annotations

import asyncio
import email
import email.policy

from agora.settings import load_settings
from forum.jobs import forum_email_digest, forum_notify_post
from tests.forum.conftest import inbox


async def test_jobs_run_twice_notify_once(forum, course, client, drain, run_jobs, database, redis):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id)
    await drain()
    await forum_notify_post({"db": database}, course.id, reply["id"], [])
    assert len((await inbox(client, course, course.alice))["items"]) == 1


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
            smtp_url=f"smtp://127.0.0.1:{port}",
        ),
    }
    assert await forum_email_digest(ctx) == 1
    assert await forum_email_digest(ctx) == 0  # already emailed
    await asyncio.sleep(0.05)
    [message] = mailbox.messages
    parsed = email.message_from_bytes(message.content, policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()
    assert message.rcpt_tos == ["alice@example.org"]
    assert "Ice cores" in text and "Anonymous replied to your post" in text and "Bob" not in text


async def test_email_digest_does_nothing_without_smtp(
    forum, course, drain, database, redis, settings
):
    await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    await drain()
    assert await forum_email_digest({"db": database, "redis": redis, "settings": settings}) == 0
