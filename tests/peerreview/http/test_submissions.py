"""The submissions API: sanitised Markdown, editable until the submission phase closes."""

from __future__ import annotations

from tests.peerreview.helpers import (
    create_assignment,
    set_phase,
    submit,
)

API = "/api/v1"


async def test_submission_markdown_is_sanitised_and_editable_until_closed(client, course):
    a = await create_assignment(client, course)
    await set_phase(client, course, a["id"], "submission")
    first = await submit(client, course.alice, a["id"], "Hello <script>alert(1)</script> **bold**")
    assert "<script>" not in first["body_html"] and "<strong>bold</strong>" in first["body_html"]
    second = await submit(client, course.alice, a["id"], "Edited")
    assert second["id"] == first["id"] and "Edited" in second["body_html"]
    await submit(client, course.bob, a["id"])
    await submit(client, course.carol, a["id"])
    await set_phase(client, course, a["id"], "review")
    response = await client.post(
        f"{API}/assignments/{a['id']}/submissions", json={"body": "late"},
        headers=course.alice.headers,
    )  # fmt: skip
    assert response.status_code == 409
