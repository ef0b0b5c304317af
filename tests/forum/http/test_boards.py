"""Boards through the JSON API: the default board, instructors create, rename, describe, reorder
and archive."""

from __future__ import annotations

import pytest


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


async def test_instructor_reorders_renames_describes_and_archives_boards(course, client):
    url = f"/api/v1/courses/{course.id}/boards"
    h = course.instructor.headers
    general = (await client.get(url, headers=h)).json()["items"][0]["id"]
    week1 = (await client.post(url, json={"name": "Week 1"}, headers=h)).json()["id"]
    week2 = (await client.post(url, json={"name": "Week 2"}, headers=h)).json()["id"]
    order = await client.put(f"{url}/order", json={"board_ids": [week2, general, week1]}, headers=h)
    assert order.status_code == 200, order.text
    assert [b["id"] for b in order.json()["items"]] == [week2, general, week1]
    assert [
        b["id"] for b in (await client.get(url, headers=course.alice.headers)).json()["items"]
    ] == [week2, general, week1]
    described = await client.patch(
        f"{url}/{week1}", json={"description": "Readings for week 1"}, headers=h
    )
    assert described.json()["description"] == "Readings for week 1"
    log = (await client.get(f"/api/v1/courses/{course.id}/moderation/log", headers=h)).json()[
        "items"
    ]
    assert [e["action"] for e in log[:4]] == [
        "board_update",
        "boards_reorder",
        "board_create",
        "board_create",
    ]
    assert log[0]["details"] == {"changed": {"description": ["", "Readings for week 1"]}}


@pytest.mark.parametrize(
    "make_order",
    [
        lambda ids: ids[:-1],  # a board left out
        lambda ids: [*ids, ids[0]],  # a board twice
        lambda ids: [*ids[:-1], 2**62],  # another course's (or no) board
    ],
)
async def test_a_wrong_board_order_is_422_and_changes_nothing(course, client, make_order):
    url = f"/api/v1/courses/{course.id}/boards"
    h = course.instructor.headers
    await client.post(url, json={"name": "Week 1"}, headers=h)
    ids = [b["id"] for b in (await client.get(url, headers=h)).json()["items"]]
    response = await client.put(f"{url}/order", json={"board_ids": make_order(ids)}, headers=h)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [b["id"] for b in (await client.get(url, headers=h)).json()["items"]] == ids


async def test_only_instructors_reorder_boards(course, client):
    url = f"/api/v1/courses/{course.id}/boards"
    ids = [b["id"] for b in (await client.get(url, headers=course.ta.headers)).json()["items"]]
    for who in (course.ta, course.alice):
        response = await client.put(f"{url}/order", json={"board_ids": ids}, headers=who.headers)
        assert response.status_code == 403
