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
