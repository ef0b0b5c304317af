"""Names for staff: the grade list, the waiting list, passback status and regrade requests carry
who each learner is (name, and email where the LMS gave one), a page at a time and searchable by
the start of a name or email; learners never see a reviewer's name."""

from __future__ import annotations

from tests.peerreview.helpers import (
    create_assignment,
    drain_jobs,
    learners,
    learners_course,
    set_phase,
    submit,
)
from tests.peerreview.service.test_passback import graded_assignment

API = "/api/v1"


async def name_people(conn, people):
    """Real-looking names: 'Zoé Martin' (with an email), the others plain."""
    await conn.execute(
        """UPDATE users SET name = 'Zoé Martin', given_name = 'Zoé', family_name = 'Martin',
                            email = 'zoe.martin@example.org' WHERE id = $1""",
        people[0].user_id,
    )
    for i, m in enumerate(people[1:], start=1):
        await conn.execute(
            "UPDATE users SET name = $2, family_name = $3 WHERE id = $1",
            m.user_id,
            f"Learner{i} Dupont{i}",
            f"Dupont{i}",
        )


async def get(client, who, path, **params):
    response = await client.get(f"{API}{path}", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_staff_see_names_in_grades_and_passback_and_search_them(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    await name_people(conn, people)
    await set_phase(client, course, aid, "released")
    await drain_jobs(database, redis, run_jobs)

    grades = await get(client, course.ta, f"/assignments/{aid}/grades")
    by_submission = {g["id"]: g["author"] for g in grades["items"]}
    assert by_submission[subs[people[0].user_id]] == {
        "id": people[0].user_id,
        "name": "Zoé Martin",
        "email": "zoe.martin@example.org",
    }
    assert by_submission[subs[people[2].user_id]]["name"] == "Learner2 Dupont2"
    for q in ("zoé", "MART", "zoe.mar"):  # name, family name or email; any case
        found = await get(client, course.ta, f"/assignments/{aid}/grades", q=q)
        assert [g["author"]["id"] for g in found["items"]] == [people[0].user_id], q
    assert (await get(client, course.ta, f"/assignments/{aid}/grades", q="%"))["items"] == []
    dupont = await get(client, course.ta, f"/assignments/{aid}/grades", q="dupont", limit=2)
    rest = await get(
        client, course.ta, f"/assignments/{aid}/grades", q="dupont", cursor=dupont["next_cursor"]
    )
    assert len(dupont["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None

    passback = await get(client, course.instructor, f"/assignments/{aid}/passback", limit=3)
    assert len(passback["items"]) == 3 and passback["next_cursor"]
    last = await get(
        client, course.instructor, f"/assignments/{aid}/passback", cursor=passback["next_cursor"]
    )
    rows = passback["items"] + last["items"]
    assert [r["user_id"] for r in rows] == sorted(m.user_id for m in people)
    assert {r["name"] for r in rows} >= {"Zoé Martin", "Learner3 Dupont3"}
    zoe = await get(client, course.instructor, f"/assignments/{aid}/passback", q="zoe")
    assert [(r["name"], r["email"]) for r in zoe["items"]] == [
        ("Zoé Martin", "zoe.martin@example.org")
    ]


async def test_regrade_requests_name_the_requester_for_staff(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    await name_people(conn, people)
    await set_phase(client, course, aid, "released")
    zoe = people[0]
    asked = await client.post(
        f"{API}/grades/{subs[zoe.user_id]}/regrade",
        json={"reason": "My evidence was strong"},
        headers=zoe.headers,
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["requester"] is None  # the learner's own answer carries no names
    open_requests = await get(client, course.ta, f"/assignments/{aid}/regrade-requests")
    assert [r["requester"] for r in open_requests["items"]] == [
        {"id": zoe.user_id, "name": "Zoé Martin", "email": "zoe.martin@example.org"}
    ]


async def test_learners_never_see_reviewers_names(client, conn, database, redis, run_jobs):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    await name_people(conn, people)
    await set_phase(client, course, aid, "released")
    author = people[1]
    reviews = await get(client, author, f"/submissions/{subs[author.user_id]}/reviews")
    assert reviews["items"], "the author reads the reviews once grades are released"
    for review in reviews["items"]:
        assert review["reviewer_id"] is None and review["reviewer"] is None
    staff_view = await get(client, course.ta, f"/submissions/{subs[author.user_id]}/reviews")
    reviewer_names = {r["reviewer"]["name"] for r in staff_view["items"]}
    assert reviewer_names and "Learner1 Dupont1" not in reviewer_names  # no self-review
    grade = await get(client, author, f"/grades/{subs[author.user_id]}")
    assert grade["author"] is None
    page = await client.get(
        f"/ui/courses/{course.id}/assignments/{aid}/grade", headers=author.headers
    )
    assert page.status_code == 200
    for name in reviewer_names:
        assert name not in page.text and name not in str(reviews)
    for path in ("grades", "passback", "waiting", "regrade-requests"):
        response = await client.get(
            f"{API}/assignments/{aid}/{path}", params={"q": "zo"}, headers=author.headers
        )
        assert "Zoé" not in response.text, path


async def test_waiting_learners_are_named_and_searchable(client, conn):
    course = await learners_course(conn, 3)
    people = learners(course)
    await name_people(conn, people)
    a = await create_assignment(client, course)
    await set_phase(client, course, a["id"], "submission")
    for m in people:
        await submit(client, m, a["id"])
    waiting = await get(client, course.ta, f"/assignments/{a['id']}/waiting")
    assert {w["author"]["name"] for w in waiting["items"]} == {
        "Zoé Martin", "Learner1 Dupont1", "Learner2 Dupont2"
    }  # fmt: skip
    found = await get(client, course.ta, f"/assignments/{a['id']}/waiting", q="learner2")
    assert [w["author"]["id"] for w in found["items"]] == [people[2].user_id]
    too_long = await client.get(
        f"{API}/assignments/{a['id']}/waiting", params={"q": "x" * 101}, headers=course.ta.headers
    )
    assert too_long.status_code == 400
    assert too_long.headers["content-type"] == "application/problem+json"
    denied = await client.get(f"{API}/assignments/{a['id']}/waiting", headers=people[0].headers)
    assert denied.status_code == 403


async def test_the_name_search_is_served_by_an_index(conn):
    """Migration 0009's lower(...) text_pattern_ops indexes serve a prefix LIKE (whatever the
    database's collation); with sequential scans priced out, the plan shows them."""
    await conn.execute("SET LOCAL enable_seqscan = off")
    plan = "\n".join(
        r[0]
        for r in await conn.fetch(
            """EXPLAIN SELECT id FROM users
                WHERE lower(name) LIKE 'zo%' OR lower(family_name) LIKE 'zo%'
                   OR lower(email) LIKE 'zo%'"""
        )
    )
    for index in ("users_name_prefix", "users_family_name_prefix", "users_email_prefix"):
        assert index in plan, plan
