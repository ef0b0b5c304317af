"""The doubtful-grades queue and overrides are staff pages: learners get the HTML 403 page."""

from __future__ import annotations

from tests.peerreview.pages.helpers import HTMX, create_assignment, ui


async def test_learners_cannot_open_the_doubtful_queue(client, course):
    url = await create_assignment(client, course)
    response = await client.get(url + "/doubtful", headers=course.alice.headers)
    assert response.status_code == 403
    assert 'data-status="403"' in response.text


async def test_staff_see_an_empty_queue_before_grading(client, course):
    url = await create_assignment(client, course)
    response = await client.get(url + "/doubtful", headers=course.ta.headers)
    assert response.status_code == 200
    assert 'data-page="doubtful-grades"' in response.text and "No doubtful grades." in response.text


async def test_learners_cannot_override_a_grade(client, course):
    await create_assignment(client, course)
    response = await client.post(
        ui(course, "/grades/1/override"),
        data={"score": "5", "reason": "mine"},
        headers=course.alice.headers | HTMX,
    )
    assert response.status_code == 403
    assert 'data-status="403"' in response.text
