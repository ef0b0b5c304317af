"""The grades API: a batch run end to end, the doubtful queue, overrides that survive regrading."""

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


async def test_batch_flow_allocates_reviews_grades_queues_and_overrides(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 6)
    a = await create_assignment(client, course, reviews_per_submission=3)
    aid = a["id"]
    await set_phase(client, course, aid, "submission")
    people = learners(course)
    subs = {}
    for m in people:
        subs[m.user_id] = (await submit(client, m, aid, f"Essay by {m.name}"))["id"]
    await set_phase(client, course, aid, "review")
    assert await drain_jobs(database, redis, run_jobs) >= 1
    assignment = (await client.get(f"{API}/assignments/{aid}", headers=people[0].headers)).json()
    # the seed would let a learner replay the allocation: who reviews whom is staff's to know
    assert assignment["allocation_seed"] is None and assignment["allocated_at"]
    listed = (await client.get(f"{API}/courses/{course.id}/assignments",
                               headers=people[0].headers)).json()  # fmt: skip
    assert [x["allocation_seed"] for x in listed["items"]] == [None]
    staff_view = await client.get(f"{API}/assignments/{aid}", headers=course.ta.headers)
    assert staff_view.json()["allocation_seed"] is not None

    reviewed = {}
    for m in people:
        for _ in range(3):
            task = (
                await client.get(f"{API}/assignments/{aid}/reviews/next", headers=m.headers)
            ).json()
            assert task["available"], task
            assert task["submission"]["id"] != subs[m.user_id]
            assert task["submission"]["author_id"] is None  # anonymous to reviewers
            # everyone agrees except on one submission, which gets wildly different scores
            target = task["submission"]["id"]
            choices = [2, 1]
            if target == subs[people[0].user_id]:
                choices = [[0, 0], [3, 2], [1, 1]][len(reviewed.get(target, []))]
            response = await client.post(
                f"{API}/assignments/{aid}/reviews",
                json={"allocation_id": task["allocation_id"], "choices": choices,
                      "criterion_comments": ["", "good sources"], "comment": "Nice *work*"},
                headers=m.headers,
            )  # fmt: skip
            assert response.status_code == 201, response.text
            reviewed.setdefault(target, []).append(m.user_id)
        done = (await client.get(f"{API}/assignments/{aid}/reviews/next", headers=m.headers)).json()
        assert not done["available"] and done["reviews_done"] == 3
    assert sorted(len(v) for v in reviewed.values()) == [3] * 6

    # waiting list is empty: everyone got k reviews
    waiting = (
        await client.get(f"{API}/assignments/{aid}/waiting", headers=course.ta.headers)
    ).json()
    assert waiting["items"] == []

    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    grades = (
        await client.get(f"{API}/assignments/{aid}/grades", headers=course.ta.headers)
    ).json()["items"]
    assert len(grades) == 6
    by_sub = {g["id"]: g for g in grades}
    controversial = subs[people[0].user_id]
    calm = subs[people[1].user_id]
    assert abs(by_sub[calm]["estimate"] - 6.0) < 0.5
    assert by_sub[controversial]["doubt"] > by_sub[calm]["doubt"]
    queue = (
        await client.get(
            f"{API}/assignments/{aid}/grades", params={"doubtful": "true"},
            headers=course.ta.headers,
        )
    ).json()["items"]  # fmt: skip
    assert queue and queue[0]["id"] == controversial
    assert [g["doubt"] for g in queue] == sorted((g["doubt"] for g in queue), reverse=True)

    # learners see nothing before release
    response = await client.get(f"{API}/grades/{calm}", headers=people[1].headers)
    assert response.status_code == 404

    response = await client.patch(
        f"{API}/grades/{controversial}",
        json={"score": 7.5, "reason": "Checked by hand"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 200 and response.json()["final_score"] == 7.5
    # the override leaves the queue and survives a new grading run
    queue = (
        await client.get(
            f"{API}/assignments/{aid}/grades", params={"doubtful": "true"},
            headers=course.ta.headers,
        )
    ).json()["items"]  # fmt: skip
    assert controversial not in [g["id"] for g in queue]
    response = await client.post(
        f"{API}/assignments/{aid}/grading-runs", headers=course.instructor.headers
    )
    assert response.status_code == 202
    await drain_jobs(database, redis, run_jobs)
    again = (await client.get(f"{API}/grades/{controversial}", headers=course.ta.headers)).json()
    assert again["final_score"] == 7.5 and again["override_reason"] == "Checked by hand"
