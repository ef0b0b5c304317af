"""Review quality on the pages: the instructor sets its share of the grade in the editor."""

from __future__ import annotations

from tests.peerreview.helpers import learners_course
from tests.peerreview.pages.helpers import HTMX, RUBRIC_FORM, ui

API = "/api/v1"


async def test_the_editor_sets_the_review_quality_share_of_the_grade(client, conn):
    course = await learners_course(conn, 1)
    form = RUBRIC_FORM | {"steps": "1", "peer_review": "1", "peer_weight": "1",
                          "review_quality_weight": "12,5"}  # fmt: skip
    created = await client.post(
        ui(course, "/assignments"), data=form, headers=course.instructor.headers | HTMX
    )
    assert created.status_code == 200, created.text
    aid = int(created.headers["HX-Push-Url"].rsplit("/", 1)[1])
    a = (await client.get(f"{API}/assignments/{aid}", headers=course.instructor.headers)).json()
    assert a["review_quality_weight"] == 12.5
    editor = await client.get(ui(course, f"/assignments/{aid}/edit"),
                              headers=course.instructor.headers)  # fmt: skip
    assert 'name="review_quality_weight" min="0" max="100" step="any" value="12.5"' in editor.text
    refused = await client.post(
        ui(course, f"/assignments/{aid}/edit"),
        data=form | {"review_quality_weight": "150"},
        headers=course.instructor.headers | HTMX,
    )
    assert 400 <= refused.status_code < 500
