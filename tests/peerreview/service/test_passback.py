"""Release sends scores to the LMS through the LTI context's AGS contract, idempotently."""

from peerreview.service.passback import passback
from tests.peerreview.helpers import (
    create_assignment,
    drain_jobs,
    learners,
    learners_course,
    set_phase,
    submit,
)

API = "/api/v1"


async def graded_assignment(client, conn, database, redis, run_jobs, *, team=False):
    course = await learners_course(conn, 4)
    # two teams can only review each other once; four individuals can do two reviews each
    k = 1 if team else 2
    a = await create_assignment(client, course, reviews_per_submission=k, team_submissions=team)
    aid = a["id"]
    people = learners(course)
    if team:
        teams = {"red": [m.user_id for m in people[:2]], "blue": [m.user_id for m in people[2:]]}
        await client.put(f"{API}/assignments/{aid}/teams", json={"teams": teams},
                         headers=course.instructor.headers)  # fmt: skip
    await set_phase(client, course, aid, "submission")
    subs = {m.user_id: (await submit(client, m, aid))["id"] for m in people}
    await set_phase(client, course, aid, "review")
    await drain_jobs(database, redis, run_jobs)
    for m in people:
        while True:
            task = (
                await client.get(f"{API}/assignments/{aid}/reviews/next", headers=m.headers)
            ).json()
            if not task["available"]:
                break
            await client.post(f"{API}/assignments/{aid}/reviews",
                              json={"allocation_id": task["allocation_id"], "choices": [2, 1]},
                              headers=m.headers)  # fmt: skip
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    return course, aid, people, subs


async def passback_rows(client, course, aid):
    response = await client.get(
        f"{API}/assignments/{aid}/passback", headers=course.instructor.headers
    )
    assert response.status_code == 200, response.text
    return {r["user_id"]: r for r in response.json()["items"]}


async def test_release_requests_one_score_per_learner_and_reruns_change_nothing(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    assert await passback_rows(client, course, aid) == {}
    await set_phase(client, course, aid, "released")
    await drain_jobs(database, redis, run_jobs)
    rows = await passback_rows(client, course, aid)
    assert set(rows) == {m.user_id for m in people}
    assert all(r["score_given"] == 6.0 for r in rows.values())
    count = await conn.fetchval(
        "SELECT count(*) FROM lti_score_passbacks WHERE course_id = $1", course.id
    )
    # the job runs again (arq retry): still one row per learner, same scores
    assert await passback(conn, course.id, aid) == 4
    again = await passback_rows(client, course, aid)
    assert {u: r["score_given"] for u, r in again.items()} == {
        u: r["score_given"] for u, r in rows.items()
    }
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM lti_score_passbacks WHERE course_id = $1", course.id
        )
        == count
    )


async def test_override_after_release_reaches_the_lms(client, conn, database, redis, run_jobs):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    await set_phase(client, course, aid, "released")
    await drain_jobs(database, redis, run_jobs)
    learner = people[1]
    response = await client.patch(
        f"{API}/grades/{subs[learner.user_id]}",
        json={"score": 9.0, "reason": "Late fix of a rubric error"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 200 and response.json()["final_score"] == 9.0
    await drain_jobs(database, redis, run_jobs)
    rows = await passback_rows(client, course, aid)
    assert rows[learner.user_id]["score_given"] == 9.0
    assert rows[people[0].user_id]["score_given"] == 6.0


async def test_team_grade_goes_to_every_member(client, conn, database, redis, run_jobs):
    course, aid, people, subs = await graded_assignment(
        client, conn, database, redis, run_jobs, team=True
    )
    assert len(set(subs.values())) == 2  # one submission per team
    allocated = await conn.fetch(
        """SELECT a.reviewer_id, s.team FROM pr_allocations a
             JOIN pr_submissions s ON s.course_id = a.course_id AND s.id = a.submission_id
            WHERE a.course_id = $1 AND a.source = 'batch'""",
        course.id,
    )
    team_of = {m.user_id: ("red" if i < 2 else "blue") for i, m in enumerate(people)}
    assert len(allocated) == 4
    assert all(team_of[r["reviewer_id"]] != r["team"] for r in allocated)
    await set_phase(client, course, aid, "released")
    await drain_jobs(database, redis, run_jobs)
    rows = await passback_rows(client, course, aid)
    assert set(rows) == {m.user_id for m in people}


async def test_learners_cannot_read_passback_status(client, conn, database, redis, run_jobs):
    course, aid, people, _ = await graded_assignment(client, conn, database, redis, run_jobs)
    response = await client.get(f"{API}/assignments/{aid}/passback", headers=people[0].headers)
    assert response.status_code == 403
