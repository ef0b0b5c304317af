"""Forum settings through the JSON API: who reads and changes them, validation, and one test per
setting proving that the value an instructor sets changes what the forum does."""

from __future__ import annotations

from datetime import timedelta

import pytest


def settings_url(course):
    return f"/api/v1/courses/{course.id}/forum/settings"


async def configure(client, course, **changes):
    response = await client.patch(
        settings_url(course), json=changes, headers=course.instructor.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["settings"]


async def post_reply(client, who, thread_id, **extra):
    return await client.post(
        f"/api/v1/threads/{thread_id}/posts", json={"body": "a reply", **extra}, headers=who.headers
    )


# ---- who, and validation ----------------------------------------------------------------------


async def test_instructor_changes_settings_ta_reads_them_learner_neither(course, client):
    ta_view = await client.get(settings_url(course), headers=course.ta.headers)
    assert ta_view.status_code == 200
    assert ta_view.json()["can_edit"] is False
    assert ta_view.json()["settings"]["max_depth"] == 3  # the default
    refused = await client.patch(
        settings_url(course), json={"max_depth": 5}, headers=course.ta.headers
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await client.get(settings_url(course), headers=course.alice.headers)).status_code == 403
    learner_patch = await client.patch(
        settings_url(course), json={"max_depth": 5}, headers=course.alice.headers
    )
    assert learner_patch.status_code == 403
    mine = await client.get(settings_url(course), headers=course.instructor.headers)
    assert mine.json()["can_edit"] is True
    assert (await configure(client, course, max_depth=5))["max_depth"] == 5
    assert (await client.get(settings_url(course), headers=course.ta.headers)).json()["settings"][
        "max_depth"
    ] == 5


async def test_another_courses_settings_are_not_reachable(course, other_course, client):
    response = await client.patch(
        settings_url(other_course), json={"max_depth": 5}, headers=course.instructor.headers
    )
    assert response.status_code in (403, 404)
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"max_depth": 0}, "max_depth"),
        ({"max_depth": 11}, "max_depth"),
        ({"edit_window_minutes": -1}, "edit_window_minutes"),
        ({"auto_hide_flags": 0}, "auto_hide_flags"),
        ({"post_interval_seconds": 3601}, "post_interval_seconds"),
        ({"threads_per_day": 0}, "threads_per_day"),
        ({"slow_mode_seconds": 86_401}, "slow_mode_seconds"),
        ({"anonymity": []}, "anonymity"),
        ({"anonymity": ["secret"]}, "anonymity"),
        ({"question_post_first": "sometimes"}, "question_post_first"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_bad_values_are_a_400_problem_naming_the_field_and_change_nothing(
    course, client, body, field
):
    response = await client.patch(
        settings_url(course), json={"max_depth": 4, **body}, headers=course.instructor.headers
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text
    after = await client.get(settings_url(course), headers=course.instructor.headers)
    assert after.json()["settings"]["max_depth"] == 3  # the good field was not written either


async def test_a_change_is_in_the_moderation_log_with_old_and_new_values(course, client):
    await configure(client, course, max_depth=4, threads_per_day=20)  # 20 is unchanged
    log = (
        await client.get(
            f"/api/v1/courses/{course.id}/moderation/log",
            params={"action": "settings_change"},
            headers=course.ta.headers,
        )
    ).json()["items"]
    assert len(log) == 1
    assert log[0]["actor_id"] == course.instructor.user_id
    assert log[0]["details"] == {"changed": {"max_depth": [3, 4]}}


async def test_other_course_settings_keys_are_kept(course, client, conn):
    await conn.execute(
        """UPDATE courses SET settings = settings || '{"peerreview": {"x": 1}}' WHERE id = $1""",
        course.id,
    )
    await configure(client, course, max_depth=4)
    stored = await conn.fetchval("SELECT settings FROM courses WHERE id = $1", course.id)
    assert stored["peerreview"] == {"x": 1} and stored["forum"]["max_depth"] == 4


# ---- each setting changes behaviour -----------------------------------------------------------


async def test_anonymity_modes_allowed(forum, course, client):
    await configure(client, course, anonymity=["peers"])
    thread = await forum.thread(course.alice)  # no mode asked for: the course's only one
    assert thread["thread"]["author"]["anonymous"] is True
    bob_view = await forum.read(course.bob, thread["thread"]["id"])
    assert bob_view["thread"]["author"]["id"] is None
    named = await post_reply(client, course.alice, thread["thread"]["id"], anonymity="none")
    assert named.status_code == 422 and "peers" in named.json()["detail"]
    await configure(client, course, anonymity=["none"])
    anonymous = await post_reply(client, course.alice, thread["thread"]["id"], anonymity="peers")
    assert anonymous.status_code == 422
    assert (await post_reply(client, course.alice, thread["thread"]["id"])).status_code == 201


async def test_display_depth(forum, course, client):
    await configure(client, course, max_depth=1)
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    first = await forum.reply(course.bob, thread_id)
    second = await forum.reply(course.carol, thread_id, parent_id=first["id"])
    assert second["depth"] == 2 and second["display_depth"] == 1
    await configure(client, course, max_depth=2)
    posts = (await forum.read(course.alice, thread_id))["posts"]
    assert [p["display_depth"] for p in posts if p["id"] == second["id"]] == [2]


async def test_auto_hide_threshold(forum, course, client):
    await configure(client, course, auto_hide_flags=1)
    reply = await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    flagged = await client.post(
        f"/api/v1/posts/{reply['id']}/flags", json={"reason": "spam"}, headers=course.carol.headers
    )
    assert flagged.json()["auto_hidden"] is True  # the default (3) would need two more flaggers


async def test_author_edit_window(forum, course, client, conn):
    await configure(client, course, edit_window_minutes=5)
    reply = await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    await conn.execute(
        "UPDATE forum_posts SET created_at = created_at - $2::interval WHERE id = $1",
        reply["id"],
        timedelta(minutes=6),
    )
    url = f"/api/v1/posts/{reply['id']}"
    late = await client.patch(url, json={"body": "late"}, headers=course.bob.headers)
    assert late.status_code == 403 and "5 minutes" in late.json()["detail"]
    await configure(client, course, edit_window_minutes=0)  # 0: always
    assert (
        await client.patch(url, json={"body": "late"}, headers=course.bob.headers)
    ).status_code == 200


async def test_seconds_between_posts(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await configure(client, course, post_interval_seconds=60)
    assert (await post_reply(client, course.bob, thread_id)).status_code == 201
    other_thread = (await forum.thread(course.carol))["thread"]["id"]
    too_fast = await post_reply(client, course.bob, other_thread)
    assert too_fast.status_code == 429 and int(too_fast.headers["retry-after"]) <= 60


async def test_threads_per_day(forum, course, client):
    await configure(client, course, threads_per_day=1)
    await forum.thread(course.alice)
    second = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "again", "body": "b"},
        headers=course.alice.headers,
    )
    assert second.status_code == 429


async def test_slow_mode_per_thread(forum, course, client):
    await configure(client, course, slow_mode_seconds=120)
    busy = (await forum.thread(course.alice))["thread"]["id"]
    calm = (await forum.thread(course.carol))["thread"]["id"]
    assert (await post_reply(client, course.bob, busy)).status_code == 201
    again = await post_reply(client, course.bob, busy)
    assert again.status_code == 429
    assert "slow mode" in again.json()["detail"]
    assert 60 < int(again.headers["retry-after"]) <= 120
    assert (await post_reply(client, course.bob, calm)).status_code == 201  # per thread
    assert (await post_reply(client, course.carol, busy)).status_code == 201  # per learner
    assert (await post_reply(client, course.ta, busy)).status_code == 201  # staff exempt
    assert (await post_reply(client, course.ta, busy)).status_code == 201


async def test_post_before_seeing_default_for_questions(forum, course, client):
    before = await forum.thread(course.alice, kind="question")
    assert before["thread"]["post_first"] is False
    await configure(client, course, question_post_first=True)
    question = await forum.thread(course.alice, title="Another question", kind="question")
    assert question["thread"]["post_first"] is True
    discussion = await forum.thread(course.alice, title="Chat", kind="discussion")
    assert discussion["thread"]["post_first"] is False
    opted_out = await forum.thread(course.bob, title="Q", kind="question", post_first=False)
    assert opted_out["thread"]["post_first"] is False
    await forum.reply(course.bob, question["thread"]["id"], body="bob's answer")
    carol_view = await forum.read(course.carol, question["thread"]["id"])
    assert carol_view["replies_hidden_until_you_post"] is True
    assert all(p["parent_id"] is None for p in carol_view["posts"])


async def test_learners_create_boards(course, client):
    url = f"/api/v1/courses/{course.id}/boards"
    assert (
        await client.post(url, json={"name": "Study group"}, headers=course.alice.headers)
    ).status_code == 403
    await configure(client, course, learners_create_boards=True)
    created = await client.post(url, json={"name": "Study group"}, headers=course.alice.headers)
    assert created.status_code == 201, created.text
    rename = await client.patch(
        f"{url}/{created.json()['id']}", json={"name": "Mine"}, headers=course.alice.headers
    )
    assert rename.status_code == 403  # creating, not managing
