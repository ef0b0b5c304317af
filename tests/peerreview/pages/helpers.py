"""Shared set-up for the peer-review page tests: the editor's form and page URLs."""

from __future__ import annotations

HTMX = {"HX-Request": "true"}
RUBRIC_FORM = {
    "title": "Essay: carbon budgets",
    "prompt": "Explain **carbon budgets** in 200 words.",
    "crit-0-name": "Accuracy",
    "crit-0-description": "Are the facts right?",
    "crit-0-options": "Wrong = 0\nPartly right = 2\nRight = 4",
    "crit-1-name": "Clarity",
    "crit-1-options": "Unclear = 0\nClear = 2",
    "crit-1-comments": "1",
    "reviews_per_submission": "2",
    "reviews_required": "2",
    "calibration_required": "1",
    "allocation_mode": "dynamic",
    "grading_method": "mean",
}


def ui(course, path=""):
    return f"/ui/courses/{course.id}{path}"


async def create_assignment(client, course) -> str:
    response = await client.post(
        ui(course, "/assignments"), data=RUBRIC_FORM, headers=course.instructor.headers | HTMX
    )
    assert response.status_code == 200, response.text
    return response.headers["HX-Push-Url"]
