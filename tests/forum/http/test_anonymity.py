"""The anonymity view rule everywhere a learner could see an author: thread, list, search,
revisions, notifications, export (live events: test_live.py)."""

from __future__ import annotations

import csv
import io

from tests.conftest import create_course
from tests.forum.conftest import Forum


def leaks(payload, member) -> bool:
    text = str(payload)
    return member.name in text or f"'id': {member.user_id}," in text


async def test_anonymous_to_peers_hidden_from_learners_shown_to_staff(forum, course, client):
    created = await forum.thread(
        course.alice, title="Embarrassing question", anonymity="peers", kind="question"
    )
    thread_id = created["thread"]["id"]
    bob_view = await forum.read(course.bob, thread_id)
    assert bob_view["thread"]["author"] == {
        "id": None,
        "name": "Anonymous",
        "anonymous": True,
        "is_me": False,
        "role": None,
    }
    assert not leaks(bob_view, course.alice)
    assert not leaks(await forum.list(course.bob), course.alice)
    ta_view = await forum.read(course.ta, thread_id)
    assert (
        ta_view["thread"]["author"]["name"] == "Alice"
        and ta_view["posts"][0]["author"]["anonymous"]
    )
    own = await forum.read(course.alice, thread_id)
    assert own["thread"]["author"]["is_me"]


async def test_anonymous_to_all_hidden_from_staff_too(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id, body="whistleblowing", anonymity="all")
    for viewer in (course.carol, course.ta, course.instructor):
        page = await forum.read(viewer, thread_id)
        assert page["posts"][1]["author"]["id"] is None and not leaks(page["posts"][1], course.bob)
        single = (await client.get(f"/api/v1/posts/{reply['id']}", headers=viewer.headers)).json()
        assert not leaks(single, course.bob)


async def test_anonymous_author_never_in_search_results(forum, course, client):
    await forum.thread(
        course.alice, title="Permafrost carbon", body="permafrost", anonymity="peers"
    )
    response = await client.get(
        f"/api/v1/courses/{course.id}/search",
        params={"q": "permafrost"},
        headers=course.bob.headers,
    )
    [hit] = response.json()["items"]
    assert hit["author"]["id"] is None and not leaks(response.json(), course.alice)
    staff = await client.get(
        f"/api/v1/courses/{course.id}/search", params={"q": "permafrost"}, headers=course.ta.headers
    )
    assert staff.json()["items"][0]["author"]["name"] == "Alice"


async def test_anonymous_author_edits_stay_anonymous_in_revisions(forum, course, client):
    reply = await forum.reply(
        course.bob, (await forum.thread(course.alice))["thread"]["id"], anonymity="all"
    )
    await client.patch(
        f"/api/v1/posts/{reply['id']}", json={"body": "edited"}, headers=course.bob.headers
    )
    revisions = (
        await client.get(f"/api/v1/posts/{reply['id']}/revisions", headers=course.carol.headers)
    ).json()
    assert revisions["items"][0]["editor"]["id"] is None and not leaks(revisions, course.bob)


async def test_anonymous_author_never_in_notifications(forum, course, client, drain):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await forum.reply(course.bob, thread_id, body="psst @carol", anonymity="peers")
    await drain()
    for who in (course.alice, course.carol):
        page = (
            await client.get(f"/api/v1/courses/{course.id}/notifications", headers=who.headers)
        ).json()
        assert page["items"] and not leaks(page, course.bob)
        assert page["items"][0]["actor"]["name"] == "Anonymous"


async def test_participation_export_does_not_attribute_anonymous_to_all_posts(
    forum, course, client
):
    thread_id = (await forum.thread(course.alice, title="Named"))["thread"]["id"]
    peers = await forum.reply(course.bob, thread_id, anonymity="peers")
    hidden = await forum.reply(course.carol, thread_id, anonymity="all")
    url = f"/api/v1/courses/{course.id}/export/participation.csv"
    assert (await client.get(url, headers=course.alice.headers)).status_code == 403
    response = await client.get(url, headers=course.instructor.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_post = {int(r["post_id"]): r for r in rows}
    assert by_post[peers["id"]]["name"] == "Bob"  # staff may see peers-anonymous authors
    assert hidden["id"] not in by_post and "Carol" not in response.text
    assert {r["type"] for r in rows} == {"thread", "reply"} and all(r["created_at"] for r in rows)


async def test_course_decides_which_anonymity_is_allowed(conn, client):
    course = await create_course(
        conn, settings_json={"forum": {"anonymity": ["peers"], "post_interval_seconds": 0}}
    )
    forum = Forum(client, course)
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "t", "body": "b", "anonymity": "all"},
        headers=course.alice.headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "this course allows anonymity: peers"
    # "none" is a mode like the others: a course may make every post anonymous to peers.
    named = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "t", "body": "b", "anonymity": "none"},
        headers=course.alice.headers,
    )
    assert named.status_code == 422
    await forum.thread(course.alice, anonymity="peers")


async def test_learner_stats_count_posts_but_not_anonymous_to_all(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await forum.reply(course.bob, thread_id)
    await forum.reply(course.bob, thread_id, anonymity="all")
    url = f"/api/v1/courses/{course.id}/stats/learners"
    assert (await client.get(url, headers=course.bob.headers)).status_code == 403
    stats = {
        s["name"]: s for s in (await client.get(url, headers=course.ta.headers)).json()["items"]
    }
    assert (stats["Alice"]["threads"], stats["Alice"]["replies"]) == (1, 0)
    assert (stats["Bob"]["threads"], stats["Bob"]["replies"]) == (0, 1)
    first = (await client.get(url, params={"limit": 2}, headers=course.ta.headers)).json()
    rest = (
        await client.get(url, params={"cursor": first["next_cursor"]}, headers=course.ta.headers)
    ).json()
    assert len(first["items"]) + len(rest["items"]) == 5
