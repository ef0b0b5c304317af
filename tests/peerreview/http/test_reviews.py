"""The reviews API after release: anonymous reviews for authors, helpfulness, flags, regrades."""

from __future__ import annotations

from tests.peerreview.helpers import (
    create_assignment,
    drain_jobs,
    learners,
    learners_course,
    set_phase,
    submit,
)

API = "/api/v1"


async def test_release_shows_grades_and_anonymous_reviews_to_authors(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 3)
    a = await create_assignment(client, course, reviews_per_submission=2)
    aid = a["id"]
    await set_phase(client, course, aid, "submission")
    people = learners(course)
    subs = {m.user_id: (await submit(client, m, aid))["id"] for m in people}
    await set_phase(client, course, aid, "review")
    await drain_jobs(database, redis, run_jobs)
    for m in people:
        for _ in range(2):
            task = (
                await client.get(f"{API}/assignments/{aid}/reviews/next", headers=m.headers)
            ).json()
            created = await client.post(
                f"{API}/assignments/{aid}/reviews",
                json={"allocation_id": task["allocation_id"], "choices": [3, 2]},
                headers=m.headers,
            )
            assert created.status_code == 201, created.text
    author = people[0]
    response = await client.get(f"{API}/submissions/{subs[author.user_id]}/reviews",
                                headers=author.headers)  # fmt: skip
    assert response.status_code == 404  # not before release
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    await set_phase(client, course, aid, "released")
    grade = await client.get(f"{API}/grades/{subs[author.user_id]}", headers=author.headers)
    assert grade.status_code == 200 and grade.json()["final_score"] == 10.0
    mine = (await client.get(f"{API}/assignments/{aid}/grades", headers=author.headers)).json()
    assert [g["id"] for g in mine["items"]] == [subs[author.user_id]]
    reviews = (
        await client.get(f"{API}/submissions/{subs[author.user_id]}/reviews",
                         headers=author.headers)
    ).json()["items"]  # fmt: skip
    assert len(reviews) == 2 and all(r["reviewer_id"] is None for r in reviews)
    # another learner cannot read this grade
    response = await client.get(f"{API}/grades/{subs[author.user_id]}", headers=people[1].headers)
    assert response.status_code == 404
    # the author rates and flags; a reviewer cannot rate their own review
    rid = reviews[0]["id"]
    rated = await client.post(f"{API}/reviews/{rid}/helpfulness", json={"rating": 4},
                              headers=author.headers)  # fmt: skip
    assert rated.status_code == 200 and rated.json()["helpfulness"] == 4
    flagged = await client.post(f"{API}/reviews/{rid}/flag", json={"reason": "insulting"},
                                headers=author.headers)  # fmt: skip
    assert flagged.status_code == 200 and flagged.json()["flagged"] is True
    # a regrade request, once; staff see it; an override resolves it
    response = await client.post(f"{API}/grades/{subs[author.user_id]}/regrade",
                                 json={"reason": "Criterion 2 was misread"},
                                 headers=author.headers)  # fmt: skip
    assert response.status_code == 201
    response = await client.post(f"{API}/grades/{subs[author.user_id]}/regrade",
                                 json={"reason": "again"}, headers=author.headers)  # fmt: skip
    assert response.status_code == 409
    open_requests = (
        await client.get(f"{API}/assignments/{aid}/regrade-requests",
                         headers=course.instructor.headers)
    ).json()["items"]  # fmt: skip
    assert len(open_requests) == 1
    overridden = await client.patch(f"{API}/grades/{subs[author.user_id]}",
                                    json={"score": 9, "reason": "Agreed, one point off"},
                                    headers=course.instructor.headers)  # fmt: skip
    assert overridden.status_code == 200 and overridden.json()["final_score"] == 9
    open_requests = (
        await client.get(f"{API}/assignments/{aid}/regrade-requests",
                         headers=course.instructor.headers)
    ).json()["items"]  # fmt: skip
    assert open_requests == []
