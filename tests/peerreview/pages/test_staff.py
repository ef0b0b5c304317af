"""Staff pages: the rubric builder, its errors, and who may open the editor."""

from __future__ import annotations

import re

from tests.peerreview.pages.helpers import HTMX, RUBRIC_FORM, create_assignment, ui


async def test_rubric_builder_creates_an_assignment(client, course):
    editor = await client.get(ui(course, "/assignments/new"), headers=course.instructor.headers)
    assert editor.status_code == 200
    assert 'name="crit-0-options"' in editor.text and 'id="add-criterion"' in editor.text
    row = await client.get(
        ui(course, "/assignments/criterion?index=3"), headers=course.instructor.headers | HTMX
    )
    assert 'name="crit-3-name"' in row.text and "<html" not in row.text
    url = await create_assignment(client, course)
    assert re.fullmatch(rf"/ui/courses/{course.id}/assignments/\d+", url)
    dashboard = await client.get(url, headers=course.instructor.headers)
    assert "Essay: carbon budgets" in dashboard.text
    assert 'data-page="assignment-dashboard"' in dashboard.text
    listing = await client.get(ui(course, "/assignments"), headers=course.ta.headers)
    assert "Essay: carbon budgets" in listing.text


async def test_bad_rubric_line_is_a_clear_400(client, course):
    form = RUBRIC_FORM | {"crit-0-options": "Wrong zero"}
    response = await client.post(
        ui(course, "/assignments"), data=form, headers=course.instructor.headers | HTMX
    )
    assert response.status_code == 400
    assert "label = points" in response.text


async def test_learners_cannot_open_the_editor(client, course):
    response = await client.get(ui(course, "/assignments/new"), headers=course.alice.headers)
    assert response.status_code == 403
