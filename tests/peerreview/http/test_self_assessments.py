"""Self-assessment and the weighted steps (issue 13.1), criterion weights and comment-only
criteria (13.5), through the JSON API: who may self-assess and when, who reads it, how the
grade combines the steps, and a rubric whose weighted total leaves comment-only criteria out."""

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

# Argument counts twice; Tone takes a (required) comment and no score.
WEIGHTED = [
    {"name": "Argument", "weight": 2, "options": [
        {"label": "Missing", "points": 0}, {"label": "Weak", "points": 2},
        {"label": "Sound", "points": 4}, {"label": "Compelling", "points": 6}]},
    {"name": "Evidence", "options": [
        {"label": "None", "points": 0}, {"label": "Some", "points": 2},
        {"label": "Strong", "points": 4}]},
    {"name": "Tone", "comment_only": True, "comment_required": True},
]  # fmt: skip
PEER = {"choices": [2, 1, 0], "criterion_comments": ["", "", "Friendly tone"]}  # 2·4 + 2 = 10
SELF = {"choices": [3, 2, 0], "criterion_comments": ["", "", "I kept it calm"]}  # 2·6 + 4 = 16


async def self_assessed(client, member, aid, body=SELF, status=200):
    response = await client.put(
        f"{API}/assignments/{aid}/self-assessment", json=body, headers=member.headers
    )
    assert response.status_code == status, response.text
    return response.json()


async def weighted_assignment(client, course, **fields):
    body = {"rubric": WEIGHTED, "allocation_mode": "dynamic", "reviews_per_submission": 2,
            "reviews_required": 2, "grading_method": "median", "self_assessment": True,
            "peer_weight": 3, "self_weight": 1}  # fmt: skip
    return await create_assignment(client, course, **(body | fields))


async def review_all(client, people, aid, k=2):
    for m in people:
        for _ in range(k):
            task = (
                await client.get(f"{API}/assignments/{aid}/reviews/next", headers=m.headers)
            ).json()
            assert task["available"], task
            response = await client.post(
                f"{API}/assignments/{aid}/reviews",
                json={"allocation_id": task["allocation_id"], **PEER},
                headers=m.headers,
            )
            assert response.status_code == 201, response.text


async def test_weights_make_the_total_and_a_comment_only_criterion_counts_nothing(client, conn):
    course = await learners_course(conn, 3)
    a = await weighted_assignment(client, course)
    assert a["points_possible"] == 16  # 2 × 6 + 4; Tone adds nothing
    tone = a["rubric"][2]
    assert tone["comment_only"] and tone["options"] == [] and a["rubric"][0]["weight"] == 2
    aid = a["id"]
    await set_phase(client, course, aid, "submission")
    people = learners(course)
    subs = [(await submit(client, m, aid, f"Essay {i}"))["id"] for i, m in enumerate(people)]
    scored = await client.post(
        f"{API}/submissions/{subs[0]}/staff-score", json={"choices": [1, 2, 0]},
        headers=course.instructor.headers,
    )  # fmt: skip
    assert scored.status_code == 201, scored.text
    assert scored.json()["scores"] == [4.0, 4.0, 0.0] and scored.json()["total"] == 8.0

    await set_phase(client, course, aid, "review")
    m = people[0]
    task = (await client.get(f"{API}/assignments/{aid}/reviews/next", headers=m.headers)).json()
    url = f"{API}/assignments/{aid}/reviews"
    for bad, why in (
        ({"choices": [2, 1, 1], "criterion_comments": ["", "", "x"]}, "comment-only"),
        ({"choices": [2, 1, 0], "criterion_comments": ["", "", " "]}, "Tone"),
        ({"choices": [2, 1, 0]}, "Tone"),
    ):
        refused = await client.post(
            url, json={"allocation_id": task["allocation_id"], **bad}, headers=m.headers
        )
        assert refused.status_code == 422 and why in refused.json()["detail"], refused.text
    done = await client.post(url, json={"allocation_id": task["allocation_id"], **PEER},
                             headers=m.headers)  # fmt: skip
    assert done.status_code == 201
    assert done.json()["total"] == 10.0 and done.json()["criterion_comments"][2] == "Friendly tone"


async def test_bad_rubric_criteria_and_steps_are_refused(client, conn):
    course = await learners_course(conn, 1)
    url = f"{API}/courses/{course.id}/assignments"
    one_option = [{"name": "A", "options": [{"label": "a", "points": 1}]}]
    comment_with_options = [WEIGHTED[0], {"name": "T", "comment_only": True,
                                          "options": [{"label": "x", "points": 1}]}]  # fmt: skip
    for rubric in (one_option, comment_with_options, [WEIGHTED[0] | {"weight": 0}]):
        refused = await client.post(
            url, json={"title": "x", "rubric": rubric}, headers=course.instructor.headers
        )
        assert refused.status_code == 400, rubric
    only_comments = [WEIGHTED[2]]
    refused = await client.post(url, json={"title": "x", "rubric": only_comments},
                                headers=course.instructor.headers)  # fmt: skip
    assert refused.status_code == 422  # worth 0 points
    for steps in (
        {"peer_review": False, "self_assessment": False},
        {"peer_review": False, "self_assessment": True, "self_weight": 0},
        {"peer_weight": 0, "self_weight": 0, "self_assessment": True},
    ):
        refused = await client.post(
            url, json={"title": "x", "rubric": WEIGHTED} | steps,
            headers=course.instructor.headers,
        )  # fmt: skip
        assert refused.status_code == 422, steps
        assert "weight" in refused.json()["detail"] or "switch on" in refused.json()["detail"]


async def test_self_assessment_needs_one_s_own_work_and_an_open_step(client, conn):
    course = await learners_course(conn, 2)
    alice, bob = learners(course)
    aid = (await weighted_assignment(client, course))["id"]
    await set_phase(client, course, aid, "submission")
    refused = await self_assessed(client, alice, aid, status=409)
    assert "submit your work first" in refused["detail"]
    await submit(client, alice, aid)
    mine = await self_assessed(client, alice, aid)
    assert mine["total"] == 16 and mine["scores"] == [12.0, 4.0, 0.0] and mine["can_edit"]
    # bad input is a 4xx that says what is wrong; nothing is written
    for body, status in (
        ({"choices": [3, 2]}, 422),
        ({"choices": [9, 2, 0], "criterion_comments": ["", "", "c"]}, 422),
        ({"choices": [10, 2, 0], "criterion_comments": ["", "", "c"]}, 400),
        ({"choices": [3, 3, 0], "criterion_comments": ["", "", "c"]}, 422),
        ({"choices": [3, 2, 0]}, 422),  # Tone's comment is required
        ({"choices": [3, 2, 0], "colour": "red"}, 400),
    ):
        await self_assessed(client, alice, aid, body, status=status)
    changed = await self_assessed(client, alice, aid, SELF | {"choices": [1, 0, 0]})
    assert changed["total"] == 4
    got = await client.get(f"{API}/assignments/{aid}/self-assessment", headers=alice.headers)
    assert got.status_code == 200 and got.json()["total"] == 4
    assert got.json()["criterion_comments"][2] == "I kept it calm"
    none_yet = await client.get(f"{API}/assignments/{aid}/self-assessment", headers=bob.headers)
    assert none_yet.status_code == 404
    staff = await self_assessed(client, course.instructor, aid, status=403)
    assert "staff" in staff["detail"]

    await set_phase(client, course, aid, "review")
    await submit(client, bob, aid)  # self-paced: late work still comes in
    await self_assessed(client, bob, aid)  # and is self-assessed while reviewing
    await set_phase(client, course, aid, "grading")
    closed = await self_assessed(client, alice, aid, status=409)
    assert "closed" in closed["detail"]
    got = await client.get(f"{API}/assignments/{aid}/self-assessment", headers=alice.headers)
    assert got.json()["can_edit"] is False


async def test_no_self_assessment_step_refuses_one(client, conn):
    course = await learners_course(conn, 1)
    (alice,) = learners(course)
    a = await create_assignment(client, course)
    assert a["self_assessment"] is False and a["peer_review"] is True
    await set_phase(client, course, a["id"], "submission")
    await submit(client, alice, a["id"])
    refused = await self_assessed(client, alice, a["id"], {"choices": [1, 1]}, status=409)
    assert "no self-assessment step" in refused["detail"]
    assert (await client.get(f"{API}/assignments/{a['id']}", headers=alice.headers)).json()[
        "can_self_assess"
    ] is False


async def test_a_self_assessment_is_for_its_owner_and_staff_never_for_reviewers(client, conn):
    course = await learners_course(conn, 3)
    people = learners(course)
    aid = (await weighted_assignment(client, course))["id"]
    await set_phase(client, course, aid, "submission")
    subs = {m.user_id: (await submit(client, m, aid))["id"] for m in people}
    await self_assessed(client, people[0], aid)
    await set_phase(client, course, aid, "review")
    # whoever gets Alice's work to review still cannot read her self-assessment
    reviewers = []
    for m in people[1:]:
        for _ in range(2):
            task = (
                await client.get(f"{API}/assignments/{aid}/reviews/next", headers=m.headers)
            ).json()
            if task["available"] and task["submission"]["id"] == subs[people[0].user_id]:
                reviewers.append(m)
            if task["available"]:
                await client.post(
                    f"{API}/assignments/{aid}/reviews",
                    json={"allocation_id": task["allocation_id"], **PEER}, headers=m.headers,
                )  # fmt: skip
    assert reviewers  # two learners review two of the others' work each: one got Alice's
    url = f"{API}/submissions/{subs[people[0].user_id]}/self-assessment"
    for m in people[1:]:
        hidden = await client.get(url, headers=m.headers)
        assert hidden.status_code == 404 and "I kept it calm" not in hidden.text
    for who in (course.instructor, course.ta, people[0]):
        seen = await client.get(url, headers=who.headers)
        assert seen.status_code == 200 and seen.json()["total"] == 16
    other = await learners_course(conn, 1)
    assert (await client.get(url, headers=other.instructor.headers)).status_code == 404


async def test_the_grade_combines_peer_and_self_by_the_weights(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 4)
    people = learners(course)
    aid = (await weighted_assignment(client, course))["id"]
    await set_phase(client, course, aid, "submission")
    subs = [(await submit(client, m, aid, f"Essay {i}"))["id"] for i, m in enumerate(people)]
    for m in people[:3]:  # the fourth learner never self-assesses
        await self_assessed(client, m, aid)
    await set_phase(client, course, aid, "review")
    await review_all(client, people, aid)
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    grades = (await client.get(f"{API}/assignments/{aid}/grades",
                               headers=course.ta.headers)).json()["items"]  # fmt: skip
    by_sub = {g["id"]: g for g in grades}
    first, skipped = by_sub[subs[0]], by_sub[subs[3]]
    # every review gave 10 of 16; the self-assessment 16: ¾ · 10 + ¼ · 16
    assert first["peer_estimate"] == 10 and first["self_score"] == 16
    assert first["estimate"] == first["final_score"] == 11.5
    assert skipped["self_score"] is None and skipped["final_score"] == 7.5  # ¾ · 10 + ¼ · 0
    # the per-criterion split is the peer estimate's: it adds up to it (Tone has no score)
    assert sum(first["criteria"]) == 10 and first["criteria"][2] == 0

    # new weights re-combine the grades already computed
    changed = await client.patch(f"{API}/assignments/{aid}", json={"self_weight": 3},
                                 headers=course.instructor.headers)  # fmt: skip
    assert changed.status_code == 200, changed.text
    again = (await client.get(f"{API}/grades/{subs[0]}", headers=course.ta.headers)).json()
    assert again["final_score"] == 13.0  # ½ · 10 + ½ · 16

    # a staff grade overrides the combination
    override = await client.patch(
        f"{API}/grades/{subs[0]}", json={"score": 9, "reason": "Checked by hand."},
        headers=course.instructor.headers,
    )  # fmt: skip
    assert override.status_code == 200 and override.json()["final_score"] == 9
    await set_phase(client, course, aid, "released")
    mine = (await client.get(f"{API}/grades/{subs[3]}", headers=people[3].headers)).json()
    assert mine["final_score"] == 5.0 and mine["self_score"] is None


async def test_without_peer_review_the_grade_is_the_self_assessment(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 2)
    alice, bob = learners(course)
    a = await weighted_assignment(client, course, peer_review=False, self_weight=1)
    aid = a["id"]
    await set_phase(client, course, aid, "submission")
    for m in (alice, bob):
        await submit(client, m, aid)
    await self_assessed(client, alice, aid)
    await set_phase(client, course, aid, "review")  # nothing to allocate
    seen = (await client.get(f"{API}/assignments/{aid}", headers=alice.headers)).json()
    assert seen["can_review"] is False and seen["can_self_assess"] is True
    task = (await client.get(f"{API}/assignments/{aid}/reviews/next", headers=bob.headers)).json()
    assert task["available"] is False
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    grades = (await client.get(f"{API}/assignments/{aid}/grades",
                               headers=course.ta.headers)).json()["items"]  # fmt: skip
    finals = sorted((g["final_score"], g["method"], g["peer_estimate"]) for g in grades)
    assert finals == [(0.0, "self", None), (16.0, "self", None)]
    # peer review cannot be switched on once reviewing started
    refused = await client.patch(f"{API}/assignments/{aid}", json={"peer_review": True},
                                 headers=course.instructor.headers)  # fmt: skip
    assert refused.status_code == 409


async def test_calibrated_grading_fits_the_weighted_total_without_comment_only_criteria(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 4)
    people = learners(course)
    aid = (await weighted_assignment(client, course, grading_method="calibrated",
                                     self_assessment=False, self_weight=0))["id"]  # fmt: skip
    await set_phase(client, course, aid, "submission")
    for i, m in enumerate(people):
        await submit(client, m, aid, f"Essay {i}")
    await set_phase(client, course, aid, "review")
    await review_all(client, people, aid)
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    grades = (await client.get(f"{API}/assignments/{aid}/grades",
                               headers=course.ta.headers)).json()["items"]  # fmt: skip
    assert len(grades) == 4
    for g in grades:
        # every review said 10 of 16 (Argument 2 × 4, Evidence 2, Tone nothing)
        assert abs(g["estimate"] - 10) < 0.5 and g["estimate"] == g["peer_estimate"]
        assert abs(sum(g["criteria"]) - g["estimate"]) < 1e-6 and g["criteria"][2] == 0
        assert 0 <= g["criteria"][0] <= 12 and 0 <= g["criteria"][1] <= 4
