"""Grading the graders through the API: a grading run scores every reviewer, the instructor's
weight makes the score count in the grade, a learner reads theirs with its parts once grades
are released, and reviewers see the ratings their reviews received."""

from __future__ import annotations

import re

import pytest

from tests.peerreview.helpers import (
    create_assignment,
    drain_jobs,
    learners,
    learners_course,
    set_phase,
    submit,
)
from tests.peerreview.pages.helpers import ui

API = "/api/v1"
CARELESS, HONEST = [0, 0], [2, 1]  # 0 and 6 of 10 points


async def reviewed(client, conn, database, redis, run_jobs, **fields):
    """Five learners review two submissions each; the first scores everything 0."""
    course = await learners_course(conn, 5)
    a = await create_assignment(client, course, reviews_per_submission=2, **fields)
    aid = a["id"]
    await set_phase(client, course, aid, "submission")
    people = learners(course)
    subs = {m.user_id: (await submit(client, m, aid))["id"] for m in people}
    await set_phase(client, course, aid, "review")
    await drain_jobs(database, redis, run_jobs)
    for i, m in enumerate(people):
        while True:
            task = (
                await client.get(f"{API}/assignments/{aid}/reviews/next", headers=m.headers)
            ).json()
            if not task["available"]:
                break
            created = await client.post(
                f"{API}/assignments/{aid}/reviews",
                json={"allocation_id": task["allocation_id"],
                      "choices": CARELESS if i == 0 else HONEST},
                headers=m.headers,
            )  # fmt: skip
            assert created.status_code == 201, created.text
    return course, aid, people, subs


async def grade_run(client, course, aid, database, redis, run_jobs):
    response = await client.post(
        f"{API}/assignments/{aid}/grading-runs", headers=course.instructor.headers
    )
    assert response.status_code == 202, response.text
    await drain_jobs(database, redis, run_jobs)


async def quality_of(client, aid, member, user_id=None):
    params = {"user_id": user_id} if user_id else None
    return await client.get(
        f"{API}/assignments/{aid}/review-quality", params=params, headers=member.headers
    )


async def test_the_careless_reviewer_scores_lowest_and_learners_wait_for_the_release(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await reviewed(client, conn, database, redis, run_jobs)
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    rows = await conn.fetch(
        "SELECT user_id, score, n_reviews FROM pr_review_quality WHERE course_id = $1", course.id
    )
    scores = {r["user_id"]: r["score"] for r in rows}
    assert set(scores) == {m.user_id for m in people}
    careless = people[0].user_id
    assert scores[careless] == min(scores.values())
    assert all(scores[m.user_id] > scores[careless] + 10 for m in people[1:])
    assert {r["n_reviews"] for r in rows} == {2}
    # staff read anyone's at once; a learner not before the release, nor anyone else's ever
    staff = await quality_of(client, aid, course.instructor, careless)
    assert staff.status_code == 200 and staff.json()["score"] == pytest.approx(scores[careless])
    assert (await quality_of(client, aid, people[1])).status_code == 404
    await set_phase(client, course, aid, "released")
    mine = await quality_of(client, aid, people[1])
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["user_id"] == people[1].user_id and body["weight"] == 0 and body["points"] is None
    assert body["n_reviews"] == 2 and body["mean_deviation"] is not None
    assert body["calibration"] is None and body["helpfulness"] is None  # nobody has any
    assert body["tolerance_points"] == pytest.approx(3.0)  # 30% of 0-10
    other = await quality_of(client, aid, people[1], careless)
    assert other.status_code == 404


async def test_the_instructor_weight_moves_the_grade_towards_the_review_quality(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await reviewed(client, conn, database, redis, run_jobs)
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)

    async def finals():
        rows = await conn.fetch(
            """SELECT g.submission_id, g.final_score, g.peer_estimate, g.review_quality
                 FROM pr_grades g WHERE g.course_id = $1""",
            course.id,
        )
        return {r["submission_id"]: r for r in rows}

    before = await finals()
    assert all(r["final_score"] == pytest.approx(r["peer_estimate"]) for r in before.values())
    changed = await client.patch(f"{API}/assignments/{aid}", json={"review_quality_weight": 40},
                                 headers=course.instructor.headers)  # fmt: skip
    assert changed.status_code == 200 and changed.json()["review_quality_weight"] == 40
    after = await finals()  # grades already computed follow the new weight at once
    await grade_run(client, course, aid, database, redis, run_jobs)
    rerun = await finals()
    for sid, row in after.items():
        expected = 0.6 * row["peer_estimate"] + 0.4 * row["review_quality"] / 100 * 10
        assert row["final_score"] == pytest.approx(expected)
        assert rerun[sid]["final_score"] == pytest.approx(expected)  # a rerun blends once
    careless_sub = subs[people[0].user_id]
    assert after[careless_sub]["final_score"] < before[careless_sub]["final_score"] - 0.5
    await set_phase(client, course, aid, "released")
    body = (await quality_of(client, aid, people[0])).json()
    assert body["weight"] == 40
    assert body["points"] == pytest.approx(0.4 * body["score"] / 100 * 10)
    refused = await client.patch(f"{API}/assignments/{aid}", json={"review_quality_weight": 101},
                                 headers=course.instructor.headers)  # fmt: skip
    assert refused.status_code == 400


async def test_reviewers_read_the_ratings_their_reviews_received(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await reviewed(client, conn, database, redis, run_jobs)
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    await set_phase(client, course, aid, "released")
    author = people[2]
    received = (await client.get(f"{API}/submissions/{subs[author.user_id]}/reviews",
                                 headers=author.headers)).json()["items"]  # fmt: skip
    rid = received[0]["id"]
    rated = await client.post(f"{API}/reviews/{rid}/helpfulness", json={"rating": 5},
                              headers=author.headers)  # fmt: skip
    assert rated.status_code == 200
    reviewer_id = await conn.fetchval("SELECT reviewer_id FROM pr_reviews WHERE id = $1", rid)
    reviewer = next(m for m in people if m.user_id == reviewer_id)
    body = (await quality_of(client, aid, reviewer)).json()
    feedback = {f["review_id"]: f for f in body["feedback"]}
    assert feedback[rid]["helpfulness"] == 5 and not feedback[rid]["flagged"]
    assert len(feedback) == 2
    assert "author" not in str(body).lower() and author.name not in str(body)
    # the grade page says it in words, with the score and how it came about
    page = await client.get(ui(course, f"/assignments/{aid}/grade"), headers=reviewer.headers)
    assert page.status_code == 200, page.text
    assert (
        "data-review-quality-score" in page.text and "Agreement with the final grades" in page.text
    )
    assert re.search(r"Rated 5 / 5 for helpfulness", page.text)
    assert "Review quality does not count in your grade." in page.text


async def test_ratings_given_after_the_release_rescore_and_reach_the_grade(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await reviewed(
        client, conn, database, redis, run_jobs, review_quality_weight=50
    )
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    await set_phase(client, course, aid, "released")
    await drain_jobs(database, redis, run_jobs)
    author = people[3]
    received = (await client.get(f"{API}/submissions/{subs[author.user_id]}/reviews",
                                 headers=author.headers)).json()["items"]  # fmt: skip
    rid = received[0]["id"]
    reviewer_id = await conn.fetchval("SELECT reviewer_id FROM pr_reviews WHERE id = $1", rid)
    before = await conn.fetchrow(
        """SELECT score, n_rated, helpfulness FROM pr_review_quality
            WHERE course_id = $1 AND user_id = $2""",
        course.id,
        reviewer_id,
    )
    assert before["n_rated"] == 0 and before["helpfulness"] is None  # nobody had rated
    reviewer_sub = await conn.fetchval(
        "SELECT id FROM pr_submissions WHERE course_id = $1 AND author_id = $2",
        course.id,
        reviewer_id,
    )
    grade_before = await conn.fetchval(
        "SELECT final_score FROM pr_grades WHERE course_id = $1 AND submission_id = $2",
        course.id,
        reviewer_sub,
    )
    for rating in (2, 5):  # a burst: the author changes their mind
        rated = await client.post(f"{API}/reviews/{rid}/helpfulness", json={"rating": rating},
                                  headers=author.headers)  # fmt: skip
        assert rated.status_code == 200
    await drain_jobs(database, redis, run_jobs)
    after = await conn.fetchrow(
        """SELECT score, n_rated, helpfulness, mean_rating FROM pr_review_quality
            WHERE course_id = $1 AND user_id = $2""",
        course.id,
        reviewer_id,
    )
    assert after["n_rated"] == 1 and after["mean_rating"] == 5 and after["helpfulness"] > 0.5
    assert after["score"] != before["score"]
    grade_after = await conn.fetchval(
        "SELECT final_score FROM pr_grades WHERE course_id = $1 AND submission_id = $2",
        course.id,
        reviewer_sub,
    )
    assert grade_after != pytest.approx(grade_before)  # the weight carries the new score
    sent = await conn.fetchval(
        """SELECT score_given FROM lti_score_passbacks
            WHERE course_id = $1 AND user_id = $2""",
        course.id,
        reviewer_id,
    )
    assert sent == round(grade_after, 2)  # and the LMS is asked for the new grade
