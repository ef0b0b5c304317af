"""Peer-review pages rendered by the server: the whole journey through the pages, and French."""

from __future__ import annotations

import re

from agora.outbox import relay_pending
from agora.sessions import create_session

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


async def test_peer_review_journey_through_the_pages(client, course, database, redis, run_jobs):
    url = await create_assignment(client, course)
    staff, alice, bob = course.instructor.headers, course.alice.headers, course.bob.headers
    # A calibration example scored by the instructor.
    example = await client.post(
        url + "/examples",
        data={"body": "Budgets are finite.", "c0": "2", "c1": "1", "explanation": "Half right."},
        headers=staff,
    )
    assert example.status_code == 200 and "Example 1" in example.text
    opened = await client.post(url + "/phase", data={"phase": "submission"}, headers=staff)
    assert opened.status_code == 200

    page = await client.get(url, headers=alice)
    assert 'data-page="assignment"' in page.text and "<strong>carbon budgets</strong>" in page.text
    for who, text in ((alice, "Alice's essay"), (bob, "Bob's essay"), (course.carol.headers, "C")):
        saved = await client.post(url + "/submission", data={"body": text}, headers=who)
        assert saved.status_code == 200 and "Saved." in saved.text
    await client.post(url + "/phase", data={"phase": "review"}, headers=staff)

    # Reviewing waits for calibration, then calibration gives feedback.
    blocked = await client.post(url + "/review/next", headers=alice)
    assert "Score the calibration examples first." in blocked.text
    page = await client.get(url, headers=alice)
    example_id = re.search(r'name="example_id" value="(\d+)"', page.text).group(1)
    feedback = await client.post(
        url + "/calibration", data={"example_id": example_id, "c0": "2", "c1": "1"}, headers=alice
    )
    assert "the instructor's score is 6." in feedback.text and "Exactly right." in feedback.text

    task = await client.post(url + "/review/next", headers=alice)
    assert 'data-page="review"' in task.text
    allocation = re.search(r'name="allocation_id" value="(\d+)"', task.text).group(1)
    assert "Alice&#39;s essay" not in task.text  # never your own work
    done = await client.post(
        url + "/reviews",
        data={"allocation_id": allocation, "c0": "2", "c1": "1", "comment": "Good"},
        headers=alice,
    )
    assert done.status_code == 200 and "your review is recorded" in done.text

    # Grades: computed by the worker, then released.
    await client.post(url + "/phase", data={"phase": "grading"}, headers=staff)
    await relay_pending(database, redis)
    await run_jobs()
    dashboard = await client.get(url, headers=staff)
    assert "Graded" in dashboard.text
    released = await client.post(url + "/phase", data={"phase": "released"}, headers=staff)
    assert released.status_code == 200, released.text

    grade = await client.get(url + "/grade", headers=bob)
    assert grade.status_code == 200
    assert 'data-page="grade"' in grade.text and "Reviews you received" in grade.text
    review_id = re.search(r"/reviews/(\d+)/helpfulness", grade.text).group(1)
    rated = await client.post(
        ui(course, f"/reviews/{review_id}/helpfulness"), data={"rating": "4"}, headers=bob | HTMX
    )
    assert "Thanks for rating." in rated.text
    submission_id = re.search(r"/submissions/(\d+)/regrade", grade.text).group(1)
    regrade = await client.post(
        ui(course, f"/submissions/{submission_id}/regrade"),
        data={"reason": "My sources were right."},
        headers=bob | HTMX,
    )
    assert "sent to the instructor" in regrade.text

    doubtful = await client.get(url + "/doubtful", headers=staff)
    assert doubtful.status_code == 200 and "My sources were right." in doubtful.text
    override = await client.post(
        ui(course, f"/grades/{submission_id}/override"),
        data={"score": "5.5", "reason": "Checked the sources"},
        headers=staff | HTMX,
    )
    assert "Grade set to 5.5" in override.text


async def test_peer_review_pages_render_in_french(client, conn, course):
    url = await create_assignment(client, course)
    await client.post(
        url + "/phase", data={"phase": "submission"}, headers=course.instructor.headers
    )
    token = await create_session(
        conn, user_id=course.alice.user_id, course_id=course.id, role="learner",
        ttl_seconds=600, locale="fr",
    )  # fmt: skip
    staff_token = await create_session(
        conn, user_id=course.instructor.user_id, course_id=course.id, role="instructor",
        ttl_seconds=600, locale="fr",
    )  # fmt: skip
    learner = {"Authorization": f"Bearer {token}"}
    staff = {"Authorization": f"Bearer {staff_token}"}
    for headers, path, expected in [
        (learner, ui(course, "/assignments"), "Évaluation par les pairs"),
        (learner, url, "Votre travail"),
        (staff, url, "Progression"),
        (staff, ui(course, "/assignments/new"), "Nouveau devoir"),
        (staff, url + "/doubtful", "Notes douteuses"),
    ]:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert '<html lang="fr">' in response.text and expected in response.text, path


async def test_launch_into_an_assignment_shows_it(client, conn, course):
    import msgspec

    from agora.sessions import select_principal
    from agora.web import launch_response

    url = await create_assignment(client, course)
    assignment_id = int(url.rsplit("/", 1)[1])
    staff = await select_principal(conn, course.instructor.token)
    principal = msgspec.structs.replace(staff, target={"kind": "assignment", "id": assignment_id})
    page = (await launch_response(conn, principal, course.instructor.token)).content
    assert 'data-page="assignment-dashboard"' in page and "Essay: carbon budgets" in page
