"""Shared set-up for the peer-review tests: an assignment driven through the real API."""

from __future__ import annotations

from agora.outbox import relay_pending
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import submissions as submission_queries
from tests.conftest import create_course

RUBRIC = [
    {
        "name": "Argument",
        "options": [
            {"label": "Missing", "points": 0},
            {"label": "Weak", "points": 2},
            {"label": "Sound", "points": 4},
            {"label": "Compelling", "points": 6},
        ],
    },
    {
        "name": "Evidence",
        "comments": True,
        "options": [
            {"label": "None", "points": 0},
            {"label": "Some", "points": 2},
            {"label": "Strong", "points": 4},
        ],
    },
]


async def learners_course(conn, n: int):
    people = [("instructor", "instructor"), ("ta", "ta")]
    people += [(f"l{i}", "learner") for i in range(n)]
    return await create_course(conn, people=people)


async def create_assignment(client, course, **fields):
    body = {"title": "Essay on feedback loops", "prompt": "Explain **one** loop.",
            "rubric": RUBRIC, "reviews_per_submission": 2}  # fmt: skip
    body.update(fields)
    response = await client.post(
        f"/api/v1/courses/{course.id}/assignments", json=body, headers=course.instructor.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def set_phase(client, course, assignment_id: int, phase: str):
    response = await client.post(
        f"/api/v1/assignments/{assignment_id}/phase",
        json={"phase": phase},
        headers=course.instructor.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def submit(client, member, assignment_id: int, body: str = "My essay"):
    """Submit (201) or, when the member or their team already has a submission, replace it
    (200): the helper asks which first, so each call checks the one right answer."""
    url = f"/api/v1/assignments/{assignment_id}/submissions"
    mine = await client.get(url, headers=member.headers)
    assert mine.status_code == 200, mine.text
    expected = 200 if mine.json()["items"] else 201
    response = await client.post(url, json={"body": body}, headers=member.headers)
    assert response.status_code == expected, response.text
    return response.json()


async def drain_jobs(database, redis, run_jobs) -> int:
    """Relay the outbox to arq and run every queued job in-process."""
    done = 0
    while await relay_pending(database, redis):
        done += await run_jobs()
    return done


def learners(course):
    return [m for m in course.members.values() if m.role == "learner"]


async def delete_committed_course(c, course_id: int, platform_id: int) -> None:
    """Remove a course a test committed through real connections (outside the rolled-back one)."""
    await c.execute("DELETE FROM pr_assignments WHERE course_id = $1", course_id)
    await c.execute("DELETE FROM outbox WHERE course_id = $1", course_id)
    await c.execute("DELETE FROM sessions WHERE course_id = $1", course_id)
    await c.execute("DELETE FROM memberships WHERE course_id = $1", course_id)
    await c.execute("DELETE FROM courses WHERE id = $1", course_id)
    await c.execute("DELETE FROM users WHERE platform_id = $1", platform_id)
    await c.execute("DELETE FROM deployments WHERE platform_id = $1", platform_id)
    await c.execute("DELETE FROM platforms WHERE id = $1", platform_id)


# ---- rows written straight through the query layer (query-level tests) ------------------------

# RUBRIC as stored: cleaned, with every key present.
STORED_RUBRIC = [
    {"name": c["name"], "description": "", "comments": c.get("comments", False),
     "options": c["options"]}
    for c in RUBRIC
]  # fmt: skip


async def insert_assignment_row(conn, course, **fields):
    values = {
        "title": "Essay",
        "prompt": "",
        "prompt_html": "",
        "rubric": STORED_RUBRIC,
        "points_possible": 10.0,
        "reviews_per_submission": 2,
        "reviews_required": 2,
        "calibration_required": 0,
        "submission_deadline": None,
        "review_deadline": None,
        "allocation_mode": "dynamic",
        "grading_method": "calibrated",
        "team_submissions": False,
        "lease_seconds": 3600,
        "extra_reviews": 2,
        "created_by": course.instructor.user_id,
    }
    values.update(fields)
    return await assignment_queries.insert_assignment(conn, course.id, **values)


async def insert_submission_row(conn, course_id: int, assignment_id: int, user_id: int, *,
                                team: str | None = None):  # fmt: skip
    """A learner's (or, with `team`, the team's) submission; returns its id."""
    row = await submission_queries.upsert_submission(
        conn, course_id, assignment_id, owner_key=f"t:{team}" if team else f"u:{user_id}",
        author_id=user_id, team=team, body="An essay", body_html="<p>An essay</p>",
    )  # fmt: skip
    return row["id"]
