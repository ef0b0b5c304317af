"""Notifications people control (issue 12.3): followers of any thread kind hear of replies once,
never of their own; preferences per kind (email digest, in the forum only, off) by API and page;
the digest (HTML and text, the learner's language, links through the LMS, one-click
unsubscribe per RFC 8058) goes through a real SMTP server on loopback, and never twice."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket

from agora.settings import load_settings
from forum.jobs import forum_email_digest
from tests.forum.conftest import inbox


def _ctx(database, redis, settings, port):
    return {
        "db": database,
        "redis": redis,
        "settings": load_settings(
            environ={}, database_url=settings.database_url, redis_url=settings.redis_url,
            smtp_url=f"smtp://127.0.0.1:{port}", public_url="https://agora.test",
        ),
    }  # fmt: skip


def _parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


async def _follow(client, who, thread_id):
    response = await client.put(f"/api/v1/threads/{thread_id}/follow", headers=who.headers)
    assert response.status_code in (200, 204), response.text


async def test_followers_of_a_discussion_hear_of_each_reply_once(forum, course, client, drain):
    thread_id = (await forum.thread(course.alice, kind="discussion"))["thread"]["id"]
    await _follow(client, course.carol, thread_id)
    await _follow(client, course.bob, thread_id)
    reply = await forum.reply(course.bob, thread_id, body="My take")
    await drain()
    await drain()  # a second relay/run changes nothing
    [note] = (await inbox(client, course, course.carol))["items"]
    assert note["kind"] == "thread_reply" and note["post_id"] == reply["id"]
    assert (await inbox(client, course, course.bob))["items"] == []  # not of one's own reply
    [to_author] = (await inbox(client, course, course.alice))["items"]
    assert to_author["kind"] == "reply"  # the thread's author: a reply to their post, once


async def test_notes_thread_followers_hear_of_replies(forum, course, client, drain):
    thread_id = (await forum.thread(course.alice, kind="notes"))["thread"]["id"]
    await _follow(client, course.carol, thread_id)
    await forum.reply(course.bob, thread_id)
    await drain()
    assert [n["kind"] for n in (await inbox(client, course, course.carol))["items"]] == [
        "thread_reply"
    ]


async def test_preferences_by_api_turn_a_kind_off(forum, course, client, drain):
    url = f"/api/v1/courses/{course.id}/notifications/preferences"
    defaults = (await client.get(url, headers=course.carol.headers)).json()
    assert {i["kind"]: i["delivery"] for i in defaults["items"]}["thread_reply"] == "email"
    bad = await client.put(
        url, json={"preferences": {"gossip": "off"}}, headers=course.carol.headers
    )
    assert bad.status_code == 400
    bad = await client.put(
        url, json={"preferences": {"thread_reply": "pigeon"}}, headers=course.carol.headers
    )
    assert bad.status_code == 400
    changed = await client.put(
        url, json={"preferences": {"thread_reply": "off"}}, headers=course.carol.headers
    )
    assert changed.status_code == 200
    prefs = {i["kind"]: i["delivery"] for i in changed.json()["items"]}
    assert prefs["thread_reply"] == "off" and prefs["mention"] == "email"
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await _follow(client, course.carol, thread_id)
    await forum.reply(course.bob, thread_id)
    await drain()
    assert (await inbox(client, course, course.carol))["items"] == []
    other = await client.get(url, headers=course.bob.headers)  # one member's choice only
    assert {i["kind"]: i["delivery"] for i in other.json()["items"]}["thread_reply"] == "email"


async def test_preferences_page_saves(forum, course, client):
    page = f"/ui/courses/{course.id}/notifications/preferences"
    shown = await client.get(page, headers=course.carol.headers)
    assert shown.status_code == 200 and "Replies in threads I follow" in shown.text
    saved = await client.post(
        page, data={"thread_reply": "in_app", "mention": "off"}, headers=course.carol.headers
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    prefs = (
        await client.get(
            f"/api/v1/courses/{course.id}/notifications/preferences", headers=course.carol.headers
        )
    ).json()
    chosen = {i["kind"]: i["delivery"] for i in prefs["items"]}
    assert chosen["thread_reply"] == "in_app" and chosen["mention"] == "off"
    bad = await client.post(page, data={"mention": "pigeon"}, headers=course.carol.headers)
    assert bad.status_code == 400


async def test_digest_is_html_and_text_in_french_with_lms_links_and_unsubscribe(
    forum, course, client, conn, drain, database, redis, smtp, settings
):
    controller, mailbox = smtp
    await conn.execute(
        "UPDATE users SET email = 'carol@example.org', locale = 'fr-CA' WHERE id = $1",
        course.carol.user_id,
    )
    await conn.execute(
        """INSERT INTO lti_resource_links (course_id, resource_link_id, custom, target_kind)
           VALUES ($1, 'rl-forum', '{"lms_url": "https://lms.test/course/7/forum"}', 'forum')""",
        course.id,
    )
    thread_id = (await forum.thread(course.alice, title="Glaciers"))["thread"]["id"]
    await _follow(client, course.carol, thread_id)
    await forum.reply(course.bob, thread_id, anonymity="all")
    await drain()
    ctx = _ctx(database, redis, settings, controller.port)
    assert await forum_email_digest(ctx) == 1
    assert await forum_email_digest(ctx) == 0  # a retry sends nothing
    await asyncio.sleep(0.05)
    [envelope] = mailbox.messages
    message = _parsed(envelope)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour" in text and "Glaciers" in text and "Bob" not in text + html
    assert (
        "https://lms.test/course/7/forum" in text
        and 'href="https://lms.test/course/7/forum"' in html
    )
    assert message["Content-Language"] == "fr"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe_url.startswith("https://agora.test/unsubscribe/")
    assert unsubscribe_url in text and unsubscribe_url in html
    [digest] = await conn.fetch(
        "SELECT status, message_id FROM forum_email_digests WHERE course_id = $1", course.id
    )
    assert digest["status"] == "sent" and digest["message_id"] == message["Message-ID"]

    path = unsubscribe_url.removeprefix("https://agora.test")
    page = await client.get(path)  # no login; a GET (a mail scanner) changes nothing
    assert page.status_code == 200 and "<form" in page.text
    prefs = await conn.fetch(
        "SELECT 1 FROM forum_notification_prefs WHERE course_id = $1", course.id
    )
    assert prefs == []
    one_click = await client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "Test course" in one_click.text
    forged = await client.post(path[:-3] + "abc", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 404

    await forum.reply(course.alice, thread_id, body="more")  # in-app still, no email
    await drain()
    assert await forum_email_digest(ctx) == 0
    assert len((await inbox(client, course, course.carol, unread=True))["items"]) == 2


async def test_a_refused_digest_waits_for_the_next_run_and_is_sent_once(
    forum, course, client, conn, drain, database, redis, smtp, settings
):
    controller, mailbox = smtp
    await conn.execute(
        "UPDATE users SET email = 'alice@example.org' WHERE id = $1", course.alice.user_id
    )
    await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    await drain()
    with socket.socket() as closed:  # a port nobody listens on: the server is down
        closed.bind(("127.0.0.1", 0))
        down = closed.getsockname()[1]
    assert await forum_email_digest(_ctx(database, redis, settings, down)) == 0
    assert (
        await conn.fetchval(
            "SELECT status FROM forum_email_digests WHERE course_id = $1", course.id
        )
        == "failed"
    )
    ctx = _ctx(database, redis, settings, controller.port)
    assert await forum_email_digest(ctx) == 1
    assert await forum_email_digest(ctx) == 0
    await asyncio.sleep(0.05)
    assert len(mailbox.messages) == 1


async def test_in_app_only_kinds_are_not_emailed(
    forum, course, client, conn, drain, database, redis, smtp, settings
):
    controller, mailbox = smtp
    await conn.execute(
        "UPDATE users SET email = 'alice@example.org' WHERE id = $1", course.alice.user_id
    )
    await client.put(
        f"/api/v1/courses/{course.id}/notifications/preferences",
        json={"preferences": {"reply": "in_app"}}, headers=course.alice.headers,
    )  # fmt: skip
    await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    await drain()
    assert await forum_email_digest(_ctx(database, redis, settings, controller.port)) == 0
    assert len((await inbox(client, course, course.alice))["items"]) == 1
