"""Who reaches what through the JSON API: another course's threads and posts are 404; ids,
cursors and limits out of range are 400 problem+json, never a 500."""

from __future__ import annotations

import base64
import json

import pytest


async def test_other_course_threads_and_posts_are_404(forum, course, other_course, client):
    created = await forum.thread(course.alice)
    thread_id, post_id = created["thread"]["id"], created["posts"][0]["id"]
    outsider = other_course.alice.headers
    for method, url in [
        ("GET", f"/api/v1/threads/{thread_id}"),
        ("GET", f"/api/v1/posts/{post_id}"),
        ("GET", f"/api/v1/courses/{course.id}/threads"),
        ("GET", f"/api/v1/courses/{course.id}/boards"),
        ("GET", f"/api/v1/courses/{course.id}/search?q=week"),
    ]:
        response = await client.request(method, url, headers=outsider)
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"
    response = await client.post(
        f"/api/v1/threads/{thread_id}/posts", json={"body": "x"}, headers=outsider
    )
    assert response.status_code == 404
    response = await client.put(
        f"/api/v1/posts/{post_id}/vote", json={"value": 1}, headers=outsider
    )
    assert response.status_code == 404


def assert_problem(response, status: int = 400) -> None:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["content-type"] == "application/problem+json"


async def test_out_of_range_ids_are_400_problems_never_500(forum, course, client):
    h = course.alice.headers
    huge = 10**20
    for url in (f"/api/v1/threads/{huge}", f"/api/v1/posts/{huge}", f"/api/v1/threads/{-1}"):
        assert_problem(await client.get(url, headers=h))
    response = await client.get(
        f"/api/v1/courses/{course.id}/threads", params={"board": huge}, headers=h
    )
    assert_problem(response)
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "t", "body": "b", "board_id": huge},
        headers=h,
    )
    assert_problem(response)


async def test_thread_id_beyond_bigint_is_a_400_problem(course, client):
    response = await client.get(
        "/api/v1/threads/99999999999999999999", headers=course.alice.headers
    )
    assert_problem(response)


def forged_cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


BAD_CURSORS = {
    "not base64 JSON": "garbage!",
    "too long": "a" * 501,
    "wrong shape": forged_cursor(1, 2, 3, 4, 5, 6, 7),
}


@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
async def test_bad_cursors_are_400_problems_on_every_list(forum, course, client, cursor):
    created = await forum.thread(course.alice)
    thread_id, post_id = created["thread"]["id"], created["posts"][0]["id"]
    lists = [
        (course.alice, f"/api/v1/courses/{course.id}/threads", {}),
        (course.alice, f"/api/v1/threads/{thread_id}", {}),
        (course.alice, f"/api/v1/threads/{thread_id}/posts", {}),
        (course.alice, f"/api/v1/posts/{post_id}/revisions", {}),
        (course.alice, f"/api/v1/courses/{course.id}/search", {"q": "week"}),
        (course.alice, f"/api/v1/courses/{course.id}/notifications", {}),
        (course.ta, f"/api/v1/courses/{course.id}/moderation/queue", {}),
        (course.ta, f"/api/v1/courses/{course.id}/moderation/log", {}),
        (course.ta, f"/api/v1/courses/{course.id}/stats/learners", {}),
    ]
    answers = {}
    for who, url, params in lists:
        response = await client.get(url, params=params | {"cursor": cursor}, headers=who.headers)
        answers[url] = (response.status_code, response.headers["content-type"])
    assert answers == dict.fromkeys(answers, (400, "application/problem+json"))


async def test_forged_cursor_with_an_id_beyond_bigint_is_a_400_problem(forum, course, client):
    await forum.thread(course.alice)
    # The activity sort's key (pinned, last activity, id), with an id no bigint holds.
    cursor = forged_cursor(False, "2024-01-01T00:00:00+00:00", 10**20)
    response = await client.get(
        f"/api/v1/courses/{course.id}/threads",
        params={"cursor": cursor},
        headers=course.alice.headers,
    )
    assert_problem(response)


@pytest.mark.parametrize("limit", [0, -1, 501, 10**20, "many"])
async def test_limits_out_of_range_are_400_problems(course, client, limit):
    response = await client.get(
        f"/api/v1/courses/{course.id}/threads",
        params={"limit": limit},
        headers=course.alice.headers,
    )
    assert_problem(response)
