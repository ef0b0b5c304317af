import numpy as np

from tests.peerreview.helpers import (
    RUBRIC,
    create_assignment,
    drain_jobs,
    learners,
    learners_course,
    set_phase,
    submit,
)

API = "/api/v1"


async def test_instructor_creates_assignment_learners_cannot(client, course):
    created = await create_assignment(client, course)
    assert created["points_possible"] == 10
    assert created["phase"] == "draft" and created["grading_method"] == "calibrated"
    response = await client.post(
        f"{API}/courses/{course.id}/assignments",
        json={"title": "x", "rubric": RUBRIC},
        headers=course.alice.headers,
    )
    assert response.status_code == 403
    # drafts are invisible to learners
    response = await client.get(f"{API}/assignments/{created['id']}", headers=course.alice.headers)
    assert response.status_code == 404


async def test_bad_rubric_and_unknown_fields_are_4xx_problems(client, course):
    bad = [
        {"title": "x", "rubric": []},
        {"title": "x", "rubric": [{"name": "a", "options": [{"label": "a", "points": 1}]}]},
        {"title": "x", "rubric": RUBRIC, "colour": "red"},
        {"title": "x", "rubric": RUBRIC, "reviews_per_submission": 0},
    ]
    for body in bad:
        response = await client.post(
            f"{API}/courses/{course.id}/assignments", json=body, headers=course.instructor.headers
        )
        assert response.status_code == 400, body
        assert response.headers["content-type"] == "application/problem+json"


async def test_other_course_cannot_see_assignment(client, course, other_course):
    created = await create_assignment(client, course)
    response = await client.get(
        f"{API}/assignments/{created['id']}", headers=other_course.instructor.headers
    )
    assert response.status_code == 404
    response = await client.get(
        f"{API}/courses/{course.id}/assignments", headers=other_course.instructor.headers
    )
    assert response.status_code == 404


async def test_assignment_list_is_keyset_paginated(client, course):
    ids = [(await create_assignment(client, course, title=f"A{i}"))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get(
                f"{API}/courses/{course.id}/assignments",
                params=params,
                headers=course.instructor.headers,
            )
        ).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    response = await client.get(
        f"{API}/courses/{course.id}/assignments",
        params={"cursor": "garbage"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 400


async def test_submission_markdown_is_sanitised_and_editable_until_closed(client, course):
    a = await create_assignment(client, course)
    await set_phase(client, course, a["id"], "submission")
    first = await submit(client, course.alice, a["id"], "Hello <script>alert(1)</script> **bold**")
    assert "<script>" not in first["body_html"] and "<strong>bold</strong>" in first["body_html"]
    second = await submit(client, course.alice, a["id"], "Edited")
    assert second["id"] == first["id"] and "Edited" in second["body_html"]
    await submit(client, course.bob, a["id"])
    await submit(client, course.carol, a["id"])
    await set_phase(client, course, a["id"], "review")
    response = await client.post(
        f"{API}/assignments/{a['id']}/submissions", json={"body": "late"},
        headers=course.alice.headers,
    )  # fmt: skip
    assert response.status_code == 409


async def test_batch_review_phase_needs_enough_submissions(client, course):
    a = await create_assignment(client, course, reviews_per_submission=2)
    await set_phase(client, course, a["id"], "submission")
    await submit(client, course.alice, a["id"])
    await submit(client, course.bob, a["id"])
    response = await client.post(
        f"{API}/assignments/{a['id']}/phase",
        json={"phase": "review"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 409 and "3 submissions" in response.json()["detail"]
    await submit(client, course.carol, a["id"])
    await set_phase(client, course, a["id"], "review")


async def test_phases_only_move_forward(client, course):
    a = await create_assignment(client, course, allocation_mode="dynamic")
    await set_phase(client, course, a["id"], "review")
    response = await client.post(
        f"{API}/assignments/{a['id']}/phase",
        json={"phase": "submission"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 409
    response = await client.post(
        f"{API}/assignments/{a['id']}/phase",
        json={"phase": "released"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 409  # not graded yet


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
    assert assignment["allocation_seed"] is not None and assignment["allocated_at"]

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
            await client.post(
                f"{API}/assignments/{aid}/reviews",
                json={"allocation_id": task["allocation_id"], "choices": [3, 2]},
                headers=m.headers,
            )
    author = people[0]
    response = await client.get(f"{API}/submissions/{subs[author.user_id]}/reviews",
                                headers=author.headers)  # fmt: skip
    assert response.status_code == 404  # not before release
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    await client.post(f"{API}/assignments/{aid}/phase", json={"phase": "released"},
                      headers=course.instructor.headers)  # fmt: skip
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
    assert flagged.json()["flagged"] is True
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
    await client.patch(f"{API}/grades/{subs[author.user_id]}",
                       json={"score": 9, "reason": "Agreed, one point off"},
                       headers=course.instructor.headers)  # fmt: skip
    open_requests = (
        await client.get(f"{API}/assignments/{aid}/regrade-requests",
                         headers=course.instructor.headers)
    ).json()["items"]  # fmt: skip
    assert open_requests == []


async def test_calibration_gates_reviewing_and_reveals_reference(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 3)
    a = await create_assignment(client, course, calibration_required=2,
                                allocation_mode="dynamic")  # fmt: skip
    aid = a["id"]
    for i, choices in enumerate(([3, 2], [1, 0])):
        response = await client.post(
            f"{API}/assignments/{aid}/calibration/examples",
            json={"body": f"Example {i}", "choices": choices, "explanation": "why"},
            headers=course.instructor.headers,
        )
        assert response.status_code == 201
    await set_phase(client, course, aid, "review")
    people = learners(course)
    for m in people:
        await submit(client, m, aid)
    me = people[0]
    task = (await client.get(f"{API}/assignments/{aid}/reviews/next", headers=me.headers)).json()
    assert not task["available"] and task["reason"] == "calibration first"
    state = (await client.get(f"{API}/assignments/{aid}/calibration", headers=me.headers)).json()
    assert state["required"] == 2 and state["next_example"]["choices"] is None
    results = []
    while state["next_example"]:
        example = state["next_example"]
        result = await client.post(f"{API}/assignments/{aid}/calibration",
                                   json={"example_id": example["id"], "choices": [3, 2]},
                                   headers=me.headers)  # fmt: skip
        assert result.status_code == 200
        results.append(result.json())
        state = (
            await client.get(f"{API}/assignments/{aid}/calibration", headers=me.headers)
        ).json()
    assert sorted(r["error"] for r in results) == [0.0, 8.0]
    assert results[0]["example"]["total"] is not None  # reference shown after scoring
    assert state["complete"] and state["mean_error"] == 4.0
    again = await client.post(f"{API}/assignments/{aid}/calibration",
                              json={"example_id": results[0]["example"]["id"], "choices": [0, 0]},
                              headers=me.headers)  # fmt: skip
    assert again.status_code == 409
    task = (await client.get(f"{API}/assignments/{aid}/reviews/next", headers=me.headers)).json()
    assert task["available"]


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
