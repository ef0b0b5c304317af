""" "Post before you see replies" holds on every path to a reply, not only the thread read:
one post, its votes, flags and history, the live event and what its client fetches next, and
the thread's pages."""

from __future__ import annotations

from agora import events
from forum.rules import JobViewer
from forum.service import live


async def post_first_thread(forum, course):
    """A question where alice has answered; bob has not posted yet."""
    thread = await forum.thread(
        course.instructor, title="Your view?", kind="question", post_first=True, anonymity="none"
    )
    thread_id = thread["thread"]["id"]
    answer = await forum.reply(course.alice, thread_id, body="alice's secret answer")
    return thread_id, thread["posts"][0]["id"], answer["id"]


async def test_a_reply_is_not_readable_on_its_own_before_you_post(forum, course, client):
    thread_id, opening_id, answer_id = await post_first_thread(forum, course)
    url = f"/api/v1/posts/{answer_id}"
    hidden = await client.get(url, headers=course.bob.headers)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert "secret" not in hidden.text
    # the question itself, one's own reply, staff and the asker see as before
    assert (await client.get(f"/api/v1/posts/{opening_id}", headers=course.bob.headers)).is_success
    for who in (course.alice, course.ta, course.instructor):
        assert (await client.get(url, headers=who.headers)).json()["body"] is not None
    await forum.reply(course.bob, thread_id, body="bob's answer")
    seen = await client.get(url, headers=course.bob.headers)
    assert seen.status_code == 200 and seen.json()["body_html"].count("secret") == 1


async def test_no_vote_flag_or_history_on_a_reply_you_may_not_see_yet(forum, course, client):
    thread_id, opening_id, answer_id = await post_first_thread(forum, course)
    bob = course.bob.headers
    vote = await client.put(f"/api/v1/posts/{answer_id}/vote", json={"value": 1}, headers=bob)
    flag = await client.post(f"/api/v1/posts/{answer_id}/flags", json={"reason": "spam"},
                             headers=bob)  # fmt: skip
    history = await client.get(f"/api/v1/posts/{answer_id}/revisions", headers=bob)
    assert [vote.status_code, flag.status_code, history.status_code] == [404, 404, 404]
    answer = (await client.get(f"/api/v1/posts/{answer_id}", headers=course.ta.headers)).json()
    assert answer["score"] == 0  # nothing was counted
    # the question takes votes from anyone
    assert (
        await client.put(f"/api/v1/posts/{opening_id}/vote", json={"value": 1}, headers=bob)
    ).json()["score"] == 1
    await forum.reply(course.bob, thread_id, body="bob's answer")
    vote = await client.put(f"/api/v1/posts/{answer_id}/vote", json={"value": 1}, headers=bob)
    assert vote.status_code == 200 and vote.json()["score"] == 1


async def test_a_live_reply_gives_ids_only_and_its_fetch_stays_closed(forum, course, client, conn):
    thread_id, _, answer_id = await post_first_thread(forum, course)
    data = await live.build_event(conn, course.id, "post_created", thread_id, answer_id)
    bob = JobViewer(course.bob.user_id, "learner")
    cut = live.for_viewer(bob, events.Event("1-0", "post_created", data))
    assert cut == {"thread_id": thread_id, "post_id": answer_id, "reply_count": 1}
    # what the page or a client does with those ids does not show the reply either
    assert (
        await client.get(f"/api/v1/posts/{answer_id}", headers=course.bob.headers)
    ).status_code == 404
    page = f"/ui/courses/{course.id}/forum/threads/{thread_id}"
    live_part = await client.get(page + "/live", headers=course.bob.headers)
    assert live_part.status_code == 200 and "secret" not in live_part.text
    history = await client.get(f"{page}/posts/{answer_id}/history", headers=course.bob.headers)
    assert history.status_code == 404 and "secret" not in history.text
    assert "secret" in (await client.get(page + "/live", headers=course.ta.headers)).text
