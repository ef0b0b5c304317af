"""Deadline pages: the dashboard's schedule with its next switch, the policy and extension forms,
and the learner's due date with their extension and late penalty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.peerreview.helpers import create_assignment, learners, learners_course, submit
from tests.peerreview.pages.helpers import HTMX, ui

API = "/api/v1"


async def test_dashboard_schedule_and_a_learners_extension_and_penalty(client, conn):
    course = await learners_course(conn, 2)
    due = datetime.now(UTC) + timedelta(hours=1)
    a = await create_assignment(
        client, course, allocation_mode="dynamic", submission_deadline=due.isoformat()
    )
    page = ui(course, f"/assignments/{a['id']}")
    await client.post(
        f"{API}/assignments/{a['id']}/phase", json={"phase": "submission"},
        headers=course.instructor.headers,
    )  # fmt: skip
    dashboard = await client.get(page, headers=course.instructor.headers)
    assert f'hx-get="{page}/schedule"' in dashboard.text
    fragment = await client.get(page + "/schedule", headers=course.instructor.headers | HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert (
        "Next switch: Peer review at" in fragment.text and 'data-switch="grading"' in fragment.text
    )
    saved = await client.post(
        page + "/schedule",
        data={"grace_minutes": "15", "penalty_per_day": "10", "penalty_max": "30",
              "remind_hours": "24", "accept_late": "1"},
        headers=course.instructor.headers | HTMX,
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    fragment = await client.get(page + "/schedule", headers=course.instructor.headers | HTMX)
    assert (
        "15 minutes of grace" in fragment.text and "10% per day late, at most 30%" in fragment.text
    )
    late, other = learners(course)
    extended = (due + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    granted = await client.post(
        page + "/extensions",
        data={"user_id": str(late.user_id), "due_at": extended, "reason": "Family matters"},
        headers=course.ta.headers | HTMX,
    )
    assert granted.status_code == 200, granted.text
    fragment = await client.get(page + "/schedule", headers=course.ta.headers | HTMX)
    assert f'data-extension="{late.user_id}"' in fragment.text and "Family matters" in fragment.text
    assert "Change the schedule" not in fragment.text  # the policy is the instructor's
    mine = await client.get(page + "/due", headers=late.headers | HTMX)
    assert "Your extension: submit by" in mine.text and "Family matters" in mine.text
    # the other learner submits 2 days late: the page says what it costs and why
    await submit(client, other, a["id"])
    await conn.execute(
        "UPDATE pr_assignments SET submission_deadline = now() - interval '2 days' "
        "WHERE course_id = $1 AND id = $2",
        course.id,
        a["id"],
    )
    theirs = await client.get(page + "/due", headers=other.headers | HTMX)
    assert "Late penalty: −20%" in theirs.text
    denied = await client.get(page + "/schedule", headers=other.headers | HTMX)
    assert denied.status_code == 403
    refused = await client.post(
        page + "/extensions",
        data={"user_id": str(other.user_id), "due_at": extended},
        headers=other.headers | HTMX,
    )
    assert refused.status_code == 403
