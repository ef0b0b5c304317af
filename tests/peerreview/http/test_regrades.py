"""The regrade API: only staff read the open requests and answer each once (accept with a new
score, which overrides the grade and queues the passback, or reject with a reason); learners and
other courses cannot answer (the request itself is exercised after release in test_reviews)."""

from __future__ import annotations

from tests.peerreview.helpers import create_assignment, drain_jobs, set_phase
from tests.peerreview.service.test_passback import graded_assignment

API = "/api/v1"


async def test_only_staff_list_regrade_requests(client, course):
    a = await create_assignment(client, course)
    url = f"{API}/assignments/{a['id']}/regrade-requests"
    response = await client.get(url, headers=course.ta.headers)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
    response = await client.get(url, headers=course.alice.headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def released_with_request(client, conn, database, redis, run_jobs, reason="Misread"):
    """A released assignment whose first learner asked for a regrade: (course, aid, author,
    submission id, request)."""
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    await set_phase(client, course, aid, "released")
    await drain_jobs(database, redis, run_jobs)
    author = people[0]
    response = await client.post(f"{API}/grades/{subs[author.user_id]}/regrade",
                                 json={"reason": reason}, headers=author.headers)  # fmt: skip
    assert response.status_code == 201, response.text
    return course, aid, author, subs[author.user_id], response.json()


async def answer(client, who, regrade_id, **body):
    return await client.post(
        f"{API}/regrade-requests/{regrade_id}/answer", json=body, headers=who.headers
    )


async def passback_jobs(conn, course_id):
    return await conn.fetchval(
        "SELECT count(*) FROM outbox WHERE course_id = $1 AND job = 'peerreview_passback'",
        course_id,
    )


async def test_accepting_sets_the_override_and_queues_the_passback(
    client, conn, database, redis, run_jobs
):
    course, aid, author, sub, req = await released_with_request(
        client, conn, database, redis, run_jobs
    )
    before = await passback_jobs(conn, course.id)
    response = await answer(client, course.ta, req["id"], decision="accept", score=8.5,
                            reason="Criterion 2 was misread")  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["new_score"], body["response"]) == (
        "accepted",
        8.5,
        "Criterion 2 was misread",
    )
    grade = (await client.get(f"{API}/grades/{sub}", headers=author.headers)).json()
    assert (grade["final_score"], grade["override_score"]) == (8.5, 8.5)
    assert grade["override_reason"] == "Criterion 2 was misread"
    assert await passback_jobs(conn, course.id) == before + 1
    # answered: it leaves the open list, and a second answer is refused
    listed = await client.get(f"{API}/assignments/{aid}/regrade-requests",
                              headers=course.instructor.headers)  # fmt: skip
    assert listed.json()["items"] == []
    again = await answer(client, course.instructor, req["id"], decision="reject", reason="No")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def test_rejecting_keeps_the_grade_and_the_author_reads_the_reason(
    client, conn, database, redis, run_jobs
):
    course, aid, author, sub, req = await released_with_request(
        client, conn, database, redis, run_jobs
    )
    before = (await client.get(f"{API}/grades/{sub}", headers=author.headers)).json()
    response = await answer(client, course.instructor, req["id"], decision="reject",
                            reason="The reviews agree with the rubric")  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "rejected"
    after = (await client.get(f"{API}/grades/{sub}", headers=author.headers)).json()
    assert after["final_score"] == before["final_score"] and after["override_score"] is None
    twice = await answer(client, course.instructor, req["id"], decision="accept", score=9,
                         reason="changed my mind")  # fmt: skip
    assert twice.status_code == 409
    assert (await client.get(f"{API}/grades/{sub}", headers=author.headers)).json()[
        "final_score"
    ] == before["final_score"]  # the refused answer changed nothing


async def test_learners_and_other_courses_cannot_answer(
    client, conn, database, redis, run_jobs, other_course
):
    course, aid, author, sub, req = await released_with_request(
        client, conn, database, redis, run_jobs
    )
    mine = await answer(client, author, req["id"], decision="accept", score=10, reason="Please")
    assert mine.status_code == 403
    elsewhere = await answer(client, other_course.instructor, req["id"], decision="reject",
                             reason="Not mine")  # fmt: skip
    assert elsewhere.status_code == 404
    assert elsewhere.headers["content-type"] == "application/problem+json"
    state = await conn.fetchval("SELECT state FROM pr_regrade_requests WHERE id = $1", req["id"])
    assert state == "open"


async def test_bad_answers_are_422_and_write_nothing(client, conn, database, redis, run_jobs):
    course, aid, author, sub, req = await released_with_request(
        client, conn, database, redis, run_jobs
    )
    for body in (
        {"decision": "accept", "reason": "no score"},
        {"decision": "reject", "score": 3, "reason": "a score on a rejection"},
        {"decision": "accept", "score": 1000, "reason": "above the points"},
        {"decision": "maybe", "reason": "x"},
    ):
        response = await answer(client, course.instructor, req["id"], **body)
        assert response.status_code in (400, 422), (body, response.text)
    row = await conn.fetchrow(
        "SELECT state, response FROM pr_regrade_requests WHERE id = $1", req["id"]
    )
    assert tuple(row) == ("open", "")
    grade = (await client.get(f"{API}/grades/{sub}", headers=author.headers)).json()
    assert grade["override_score"] is None
