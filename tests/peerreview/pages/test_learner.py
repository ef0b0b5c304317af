"""Learner pages: the whole journey through the pages, from calibration to a regrade request."""

from __future__ import annotations

import re

from agora.outbox import relay_pending
from tests.peerreview.pages.helpers import HTMX, create_assignment, ui


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
    reviewing = await client.post(url + "/phase", data={"phase": "review"}, headers=staff)
    assert reviewing.status_code == 200, reviewing.text

    # Reviewing waits for calibration, then calibration gives feedback.
    blocked = await client.post(url + "/review/next", headers=alice)
    assert "Score the calibration examples first." in blocked.text
    page = await client.get(url, headers=alice)
    example_id = re.search(r'name="example_id" value="(\d+)"', page.text).group(1)
    feedback = await client.post(
        url + "/calibration", data={"example_id": example_id, "c0": "2", "c1": "1"}, headers=alice
    )
    assert "the instructor's score is 6." in feedback.text and "Exactly right." in feedback.text

    # Ties among the least-reviewed go at random: Carol's work is made busier, so Alice gets Bob's.
    await database.connection.execute(
        "UPDATE pr_submissions SET review_load = 1 WHERE course_id = $1 AND author_id = $2",
        course.id,
        course.carol.user_id,
    )
    task = await client.post(url + "/review/next", headers=alice)
    assert 'data-page="review"' in task.text and "Bob's essay" in task.text
    allocation = re.search(r'name="allocation_id" value="(\d+)"', task.text).group(1)
    assert "Alice&#39;s essay" not in task.text  # never your own work
    done = await client.post(
        url + "/reviews",
        data={"allocation_id": allocation, "c0": "2", "c1": "1", "comment": "Good"},
        headers=alice,
    )
    assert done.status_code == 200 and "your review is recorded" in done.text

    # Grades: computed by the worker, then released.
    grading = await client.post(url + "/phase", data={"phase": "grading"}, headers=staff)
    assert grading.status_code == 200, grading.text
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
