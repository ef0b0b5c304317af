"""Following boards and (staff) the course: followers hear of new threads."""

from __future__ import annotations

from tests.forum.conftest import inbox


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
