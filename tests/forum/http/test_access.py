"""Who reaches what through the JSON API: another course's threads and posts are 404; ids,
cursors and limits out of range are 400 problem+json, never a 500."""

from __future__ import annotations


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


async def test_out_of_range_ids_are_404_or_400_never_500(forum, course, client):
    h = course.alice.headers
    huge = 10**20
    for url in (f"/api/v1/threads/{huge}", f"/api/v1/posts/{huge}", f"/api/v1/threads/{-1}"):
        response = await client.get(url, headers=h)
        assert response.status_code in (400, 404), (url, response.status_code)
    response = await client.get(
        f"/api/v1/courses/{course.id}/threads", params={"board": huge}, headers=h
    )
    assert response.status_code in (400, 404)
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "t", "body": "b", "board_id": huge},
        headers=h,
    )
    assert response.status_code in (400, 404)
