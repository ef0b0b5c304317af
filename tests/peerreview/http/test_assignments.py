"""The assignments API: who may create and see assignments, validation, paging, phases."""

from __future__ import annotations

from tests.peerreview.helpers import (
    RUBRIC,
    create_assignment,
    set_phase,
    submit,
)

API = "/api/v1"


async def test_instructor_creates_assignment_learners_cannot(client, course):
    created = await create_assignment(client, course)
    assert created["points_possible"] == 10
    assert created["phase"] == "draft" and created["grading_method"] == "calibrated"
    response = await client.post(
        f"{API}/courses/{course.id}/assignments",
        json={"title": "x", "rubric": RUBRIC},
        headers=course.alice.headers,
    )
    assert response.status_code == 403
    # drafts are invisible to learners
    response = await client.get(f"{API}/assignments/{created['id']}", headers=course.alice.headers)
    assert response.status_code == 404


async def test_bad_rubric_and_unknown_fields_are_4xx_problems(client, course):
    bad = [
        {"title": "x", "rubric": []},
        {"title": "x", "rubric": [{"name": "a", "options": [{"label": "a", "points": 1}]}]},
        {"title": "x", "rubric": RUBRIC, "colour": "red"},
        {"title": "x", "rubric": RUBRIC, "reviews_per_submission": 0},
    ]
    for body in bad:
        response = await client.post(
            f"{API}/courses/{course.id}/assignments", json=body, headers=course.instructor.headers
        )
        assert response.status_code == 400, body
        assert response.headers["content-type"] == "application/problem+json"


async def test_other_course_cannot_see_assignment(client, course, other_course):
    created = await create_assignment(client, course)
    response = await client.get(
        f"{API}/assignments/{created['id']}", headers=other_course.instructor.headers
    )
    assert response.status_code == 404
    response = await client.get(
        f"{API}/courses/{course.id}/assignments", headers=other_course.instructor.headers
    )
    assert response.status_code == 404


async def test_assignment_list_is_keyset_paginated(client, course):
    ids = [(await create_assignment(client, course, title=f"A{i}"))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get(
                f"{API}/courses/{course.id}/assignments",
                params=params,
                headers=course.instructor.headers,
            )
        ).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    response = await client.get(
        f"{API}/courses/{course.id}/assignments",
        params={"cursor": "garbage"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 400


async def test_batch_review_phase_needs_enough_submissions(client, course):
    a = await create_assignment(client, course, reviews_per_submission=2)
    await set_phase(client, course, a["id"], "submission")
    await submit(client, course.alice, a["id"])
    await submit(client, course.bob, a["id"])
    response = await client.post(
        f"{API}/assignments/{a['id']}/phase",
        json={"phase": "review"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 409 and "3 submissions" in response.json()["detail"]
    await submit(client, course.carol, a["id"])
    await set_phase(client, course, a["id"], "review")


async def test_phases_only_move_forward(client, course):
    a = await create_assignment(client, course, allocation_mode="dynamic")
    await set_phase(client, course, a["id"], "review")
    response = await client.post(
        f"{API}/assignments/{a['id']}/phase",
        json={"phase": "submission"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 409
    response = await client.post(
        f"{API}/assignments/{a['id']}/phase",
        json={"phase": "released"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 409  # not graded yet
