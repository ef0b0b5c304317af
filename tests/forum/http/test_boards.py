"""Boards through the JSON API: the default board, instructors create, rename and archive."""

from __future__ import annotations


async def test_default_board_exists_and_instructors_manage_boards(forum, course, client):
    url = f"/api/v1/courses/{course.id}/boards"
    boards = (await client.get(url, headers=course.alice.headers)).json()["items"]
    assert [b["name"] for b in boards] == ["General"] and boards[0]["is_default"]
    assert (
        await client.post(url, json={"name": "Week 1"}, headers=course.alice.headers)
    ).status_code == 403
    assert (
        await client.post(url, json={"name": "Week 1"}, headers=course.ta.headers)
    ).status_code == 403
    week1 = (
        await client.post(
            url, json={"name": "Week 1", "position": 1}, headers=course.instructor.headers
        )
    ).json()
    renamed = await client.patch(
        f"{url}/{week1['id']}",
        json={"name": "Week one", "archived": True},
        headers=course.instructor.headers,
    )
    assert renamed.json()["name"] == "Week one" and renamed.json()["archived"]
    learner_view = (await client.get(url, headers=course.alice.headers)).json()["items"]
    assert [b["name"] for b in learner_view] == ["General"]  # archived boards hidden from learners
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "t", "body": "b", "board_id": week1["id"]},
        headers=course.alice.headers,
    )
    assert response.status_code == 409  # no new threads in an archived board
    default = boards[0]["id"]
    response = await client.patch(
        f"{url}/{default}", json={"archived": True}, headers=course.instructor.headers
    )
    assert response.status_code == 409
