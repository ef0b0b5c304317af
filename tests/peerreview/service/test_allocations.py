"""Allocation (peerreview.service.allocations), through the API: dynamic leases (`reviews/next`),
expiry, late submitters, uncertain submissions, manual assignment, concurrency."""

import asyncio
from collections import Counter

import asyncpg
import httpx

from agora.app import create_app
from agora.db import Database, create_pool
from tests.conftest import create_course
from tests.peerreview.helpers import (
    create_assignment,
    delete_committed_course,
    learners,
    learners_course,
    set_phase,
    submit,
)

API = "/api/v1"


async def next_task(client, member, aid):
    response = await client.get(f"{API}/assignments/{aid}/reviews/next", headers=member.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def review(client, member, aid, task, choices=(2, 1)):
    return await client.post(
        f"{API}/assignments/{aid}/reviews",
        json={"allocation_id": task["allocation_id"], "choices": list(choices)},
        headers=member.headers,
    )


async def dynamic_assignment(client, course, **fields):
    a = await create_assignment(client, course, allocation_mode="dynamic", **fields)
    await set_phase(client, course, a["id"], "review")
    return a["id"]


async def test_next_returns_the_same_lease_until_reviewed(client, conn):
    course = await learners_course(conn, 4)
    aid = await dynamic_assignment(client, course)
    people = learners(course)
    for m in people:
        await submit(client, m, aid)
    first = await next_task(client, people[0], aid)
    again = await next_task(client, people[0], aid)
    assert first["available"] and first["allocation_id"] == again["allocation_id"]
    assert (await review(client, people[0], aid, first)).status_code == 201
    second = await next_task(client, people[0], aid)
    assert second["submission"]["id"] != first["submission"]["id"]


async def test_reviewing_needs_own_submission_first(client, conn):
    course = await learners_course(conn, 3)
    aid = await dynamic_assignment(client, course)
    people = learners(course)
    await submit(client, people[1], aid)
    task = await next_task(client, people[0], aid)
    assert not task["available"] and "submit" in task["reason"]


async def test_expired_lease_returns_to_the_pool_and_late_review_is_refused(client, conn):
    course = await learners_course(conn, 3)
    aid = await dynamic_assignment(client, course, reviews_per_submission=1)
    a, b, c = learners(course)
    sub_a = (await submit(client, a, aid))["id"]
    sub_c = (await submit(client, c, aid))["id"]
    task = await next_task(client, c, aid)
    assert task["submission"]["id"] == sub_a  # the only other submission
    await conn.execute(
        "UPDATE pr_allocations SET lease_expires_at = now() - interval '1 second' WHERE id = $1",
        task["allocation_id"],
    )
    await submit(client, b, aid)
    # b's request reclaims the lease; a's submission is back at load 0 and b gets it (b's other
    # choice, c's work, is made busier here: ties among the least loaded go at random)
    await conn.execute("UPDATE pr_submissions SET review_load = 1 WHERE id = $1", sub_c)
    other = await next_task(client, b, aid)
    assert other["submission"]["id"] == sub_a
    state = await conn.fetchval(
        "SELECT state FROM pr_allocations WHERE id = $1", task["allocation_id"]
    )
    assert state == "expired"
    load = await conn.fetchval("SELECT review_load FROM pr_submissions WHERE id = $1", sub_a)
    assert load == 1
    late = await review(client, c, aid, task)
    assert late.status_code == 410
    assert late.headers["content-type"] == "application/problem+json"
    fresh = await next_task(client, c, aid)
    assert fresh["available"] and fresh["allocation_id"] != task["allocation_id"]


async def test_late_submitter_is_reviewed_first(client, conn):
    course = await learners_course(conn, 5)
    aid = await dynamic_assignment(client, course, reviews_per_submission=2)
    people = learners(course)
    early, late = people[:4], people[4]
    for m in early:
        await submit(client, m, aid)
    for m in early:
        for _ in range(2):
            assert (
                await review(client, m, aid, await next_task(client, m, aid))
            ).status_code == 201
    late_sub = (await submit(client, late, aid))["id"]
    # the late submission has no review at all, the early ones one or more: a learner who did
    # their reviews is offered the least reviewed work, so the first to ask gets the late one
    # (the next may tie it with an early one that got fewer than k)
    task = await next_task(client, early[0], aid)
    assert task["available"] and task["submission"]["id"] == late_sub
    waiting = (
        await client.get(f"{API}/assignments/{aid}/waiting", headers=course.instructor.headers)
    ).json()["items"]
    assert late_sub in [w["submission_id"] for w in waiting]


async def test_uncertain_submission_gets_an_extra_reviewer(client, conn):
    course = await learners_course(conn, 4)
    aid = await dynamic_assignment(client, course, reviews_per_submission=2)
    people = learners(course)
    subs = {m.user_id: (await submit(client, m, aid))["id"] for m in people}
    target = subs[people[0].user_id]
    for member, choices in ((people[1], (0, 0)), (people[2], (3, 2))):
        response = await client.post(
            f"{API}/assignments/{aid}/allocations",
            json={"reviewer_id": member.user_id, "submission_id": target},
            headers=course.instructor.headers,
        )
        assert response.status_code == 201
        task = await next_task(client, member, aid)
        assert task["submission"]["id"] == target
        assert (await review(client, member, aid, task, choices)).status_code == 201
    assert await conn.fetchval("SELECT uncertain FROM pr_submissions WHERE id = $1", target)
    # every other submission already has k reviews in flight: the uncertain one, although it
    # has k as well, gets the extra reviewer before any other
    await conn.execute(
        "UPDATE pr_submissions SET review_load = 2 WHERE assignment_id = $1 AND id <> $2",
        aid,
        target,
    )
    task = await next_task(client, people[3], aid)
    assert task["submission"]["id"] == target


async def test_manual_reassignment_and_cancel(client, conn):
    course = await learners_course(conn, 3)
    aid = await dynamic_assignment(client, course)
    a, b, c = learners(course)
    sub_a = (await submit(client, a, aid))["id"]
    response = await client.post(
        f"{API}/assignments/{aid}/allocations",
        json={"reviewer_id": a.user_id, "submission_id": sub_a},
        headers=course.ta.headers,
    )
    assert response.status_code == 422  # own work
    response = await client.post(
        f"{API}/assignments/{aid}/allocations",
        json={"reviewer_id": b.user_id, "submission_id": sub_a},
        headers=course.ta.headers,
    )
    assert response.status_code == 201
    allocation = response.json()
    again = await client.post(
        f"{API}/assignments/{aid}/allocations",
        json={"reviewer_id": b.user_id, "submission_id": sub_a},
        headers=course.ta.headers,
    )
    assert again.status_code == 409
    await submit(client, b, aid)
    task = await next_task(client, b, aid)
    assert task["allocation_id"] == allocation["id"]
    response = await client.delete(
        f"{API}/allocations/{allocation['id']}", headers=course.ta.headers
    )
    assert response.status_code == 204
    assert await conn.fetchval("SELECT review_load FROM pr_submissions WHERE id = $1", sub_a) == 0


# ---- concurrency through separate real connections --------------------------------------------


async def test_concurrent_next_never_double_assigns(database_url, settings, redis):
    pool = await create_pool(database_url, min_size=4, max_size=24)
    n = 40
    async with pool.acquire() as c:
        course = await create_course(
            c, people=[("instructor", "instructor")] + [(f"l{i}", "learner") for i in range(n)]
        )
    app = create_app(settings, database=Database(pool=pool), redis=redis)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            aid = await dynamic_assignment(client, course, reviews_per_submission=3)
            people = learners(course)
            for m in people:
                await submit(client, m, aid)

            # everyone asks twice at once: one lease each, never two
            tasks = await asyncio.gather(
                *[next_task(client, m, aid) for m in people for _ in range(2)]
            )
            by_member = {}
            for m, task in zip([m for m in people for _ in range(2)], tasks, strict=True):
                assert task["available"]
                by_member.setdefault(m.user_id, set()).add(task["allocation_id"])
            assert all(len(ids) == 1 for ids in by_member.values())

            async def work(member):
                for _ in range(3):
                    task = await next_task(client, member, aid)
                    if not task["available"]:
                        return
                    response = await review(client, member, aid, task)
                    assert response.status_code == 201, response.text

            await asyncio.gather(*[work(m) for m in people])
        async with pool.acquire() as c:
            rows = await c.fetch(
                """SELECT a.reviewer_id, a.submission_id, s.author_id
                     FROM pr_allocations a JOIN pr_submissions s
                       ON s.course_id = a.course_id AND s.id = a.submission_id
                    WHERE a.course_id = $1 AND a.state = 'completed'""",
                course.id,
            )
            pairs = Counter((r["reviewer_id"], r["submission_id"]) for r in rows)
            assert max(pairs.values()) == 1
            assert all(r["reviewer_id"] != r["author_id"] for r in rows)
            assert len(rows) == 3 * n
            per_submission = Counter(r["submission_id"] for r in rows)
            assert len(per_submission) == n and min(per_submission.values()) >= 2
            consistent = await c.fetchval(
                """SELECT bool_and(s.review_load = (
                          SELECT count(*) FROM pr_allocations a
                           WHERE a.course_id = s.course_id AND a.submission_id = s.id
                             AND a.state IN ('assigned', 'leased', 'completed')))
                     FROM pr_submissions s WHERE s.course_id = $1""",
                course.id,
            )
            assert consistent
    finally:
        async with pool.acquire() as c:
            await delete_committed_course(c, course.id, course.platform_id)
        await pool.close()


async def test_pool_cleanup_leaves_nothing_behind(database_url):
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM pr_assignments") == 0
    finally:
        await connection.close()


async def test_waiting_queue_pages_by_submission_time_then_id(client, conn):
    course = await learners_course(conn, 5)
    aid = await dynamic_assignment(client, course)
    subs = [(await submit(client, m, aid))["id"] for m in learners(course)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(
            f"{API}/assignments/{aid}/waiting", params=params, headers=course.ta.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [w["submission_id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == subs
    forged = await client.get(
        f"{API}/assignments/{aid}/waiting", params={"cursor": "WzEsMl0"},  # [1,2]: no time
        headers=course.ta.headers,
    )  # fmt: skip
    assert forged.status_code == 400
