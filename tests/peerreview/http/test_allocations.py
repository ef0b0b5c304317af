"""The allocations API: batch allocation (teams never review each other) and review next."""

from __future__ import annotations

import numpy as np

from tests.peerreview.helpers import (
    create_assignment,
    drain_jobs,
    learners,
    learners_course,
    set_phase,
    submit,
)

API = "/api/v1"


async def test_teammates_never_review_each_other_in_batch(client, conn, database, redis, run_jobs):
    course = await learners_course(conn, 8)
    a = await create_assignment(client, course, reviews_per_submission=3)
    aid = a["id"]
    people = learners(course)
    teams = {"red": [m.user_id for m in people[:2]], "blue": [m.user_id for m in people[2:4]]}
    response = await client.put(f"{API}/assignments/{aid}/teams", json={"teams": teams},
                                headers=course.instructor.headers)  # fmt: skip
    assert response.status_code == 200
    await set_phase(client, course, aid, "submission")
    for m in people:
        await submit(client, m, aid)
    await set_phase(client, course, aid, "review")
    await drain_jobs(database, redis, run_jobs)
    rows = await conn.fetch(
        """SELECT a.reviewer_id, s.author_id FROM pr_allocations a
             JOIN pr_submissions s ON s.course_id = a.course_id AND s.id = a.submission_id
            WHERE a.course_id = $1""",
        course.id,
    )
    team_of = {u: t for t, members in teams.items() for u in members}
    assert len(rows) == 24
    for row in rows:
        assert row["reviewer_id"] != row["author_id"]
        assert team_of.get(row["reviewer_id"], -1) != team_of.get(row["author_id"], -2)
    index = {m.user_id: i for i, m in enumerate(people)}
    per_reviewer = np.bincount([index[r["reviewer_id"]] for r in rows], minlength=8)
    assert per_reviewer.tolist() == [3] * 8


async def test_batch_reviewing_waits_for_the_allocation_job(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 3)
    a = await create_assignment(client, course)
    await set_phase(client, course, a["id"], "submission")
    people = learners(course)
    for m in people:
        await submit(client, m, a["id"])
    await set_phase(client, course, a["id"], "review")
    task = (
        await client.get(f"{API}/assignments/{a['id']}/reviews/next", headers=people[0].headers)
    ).json()
    assert not task["available"] and "allocated" in task["reason"]
    await drain_jobs(database, redis, run_jobs)
    task = (
        await client.get(f"{API}/assignments/{a['id']}/reviews/next", headers=people[0].headers)
    ).json()
    assert task["available"]
