"""The calibration API: calibration gates reviewing and reveals the reference afterwards."""

from __future__ import annotations

from tests.peerreview.helpers import (
    create_assignment,
    learners,
    learners_course,
    set_phase,
    submit,
)

API = "/api/v1"


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


async def test_a_rubric_change_rescores_the_examples_or_is_refused(client, conn):
    """The examples' reference totals follow the rubric they are compared on: an edit keeping
    the criteria's shape rescores them; one they no longer fit, or one after learners answered,
    is refused and changes nothing."""
    from tests.peerreview.helpers import RUBRIC

    course = await learners_course(conn, 1)
    aid = (await create_assignment(client, course))["id"]
    added = await client.post(
        f"{API}/assignments/{aid}/calibration/examples",
        json={"body": "Example", "choices": [3, 2], "explanation": "why"},
        headers=course.instructor.headers,
    )
    assert added.json()["total"] == 6 + RUBRIC[1]["options"][2]["points"]
    doubled = [
        {**c, "options": [{**o, "points": o["points"] * 2} for o in c["options"]]} for c in RUBRIC
    ]
    edited = await client.patch(f"{API}/assignments/{aid}", json={"rubric": doubled},
                                headers=course.instructor.headers)  # fmt: skip
    assert edited.status_code == 200, edited.text
    total = await conn.fetchval(
        "SELECT total FROM pr_calibration_examples WHERE course_id = $1", course.id
    )
    assert total == 2 * added.json()["total"]
    shorter = [RUBRIC[0]]  # the example's second choice fits no criterion any more
    refused = await client.patch(f"{API}/assignments/{aid}", json={"rubric": shorter},
                                 headers=course.instructor.headers)  # fmt: skip
    assert refused.status_code == 409 and "calibration example 1" in refused.text
    await set_phase(client, course, aid, "submission")
    (alice,) = learners(course)
    example_id = added.json()["id"]
    answered = await client.post(f"{API}/assignments/{aid}/calibration",
                                 json={"example_id": example_id, "choices": [1, 1]},
                                 headers=alice.headers)  # fmt: skip
    assert answered.status_code == 200, answered.text
    frozen = await client.patch(f"{API}/assignments/{aid}", json={"rubric": RUBRIC},
                                headers=course.instructor.headers)  # fmt: skip
    assert frozen.status_code == 409 and "learners have scored" in frozen.text
    rubric = (await client.get(f"{API}/assignments/{aid}",
                               headers=course.instructor.headers)).json()["rubric"]  # fmt: skip
    assert rubric[0]["options"][1]["points"] == 4  # still the doubled one
