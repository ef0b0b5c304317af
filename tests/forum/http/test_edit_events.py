"""Live edit events are coalesced per post: a burst of edits sends one event, for the latest
version; an edit inside a post's window follows at the window's end; a version goes out once."""

from __future__ import annotations

import time

from agora import events
from forum.service import live


async def edit_events(redis, course, post_id):
    stored = await events.replay(redis, course.id, "0")
    return [e for e in stored if e.type == "post_edited" and e.data["post_id"] == post_id]


async def edit(client, who, post_id, body):
    response = await client.patch(f"/api/v1/posts/{post_id}", json={"body": body},
                                  headers=who.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_burst_of_edits_publishes_one_event_for_the_last_version(
    forum, course, client, redis, drain
):
    reply = await forum.reply(course.carol, (await forum.thread(course.alice))["thread"]["id"])
    await drain()
    for n in range(5):
        last = await edit(client, course.carol, reply["id"], f"draft {n}")
    await drain()
    [event] = await edit_events(redis, course, reply["id"])
    assert event.data["edited_at"] is not None
    assert event.data["edited_at"].replace("+00:00", "Z")[:19] == last["edited_at"][:19]
    await drain()  # nothing is left to send again
    assert len(await edit_events(redis, course, reply["id"])) == 1


async def test_an_edit_inside_the_window_follows_at_its_end(forum, course, client, redis, drain):
    reply = await forum.reply(course.carol, (await forum.thread(course.alice))["thread"]["id"])
    await edit(client, course.carol, reply["id"], "first fix")
    await drain()
    [first] = await edit_events(redis, course, reply["id"])
    await edit(client, course.carol, reply["id"], "second fix")
    started = time.monotonic()
    await drain()  # the job is deferred to the end of the post's window, then sent
    assert time.monotonic() - started < live.EDIT_WINDOW_SECONDS + 5
    first_again, second = await edit_events(redis, course, reply["id"])
    assert first_again.id == first.id and second.data["edited_at"] > first.data["edited_at"]
    # other posts have windows of their own
    other = await forum.reply(course.bob, reply["thread_id"])
    await edit(client, course.bob, other["id"], "bob's fix")
    await drain()
    assert len(await edit_events(redis, course, other["id"])) == 1
