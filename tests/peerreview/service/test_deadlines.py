"""Deadlines that act and late work (peerreview.service.deadlines, .extensions), through the API,
the worker's cron job and its jobs: phase switches at their times (once, however often the job
runs), reminders once, grace, penalty, extensions, and late work that still gets reviewed."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from agora.app import create_app
from agora.db import Database, create_pool
from peerreview import jobs
from peerreview.service import deadlines
from tests.peerreview.helpers import (
    create_assignment,
    delete_committed_course,
    drain_jobs,
    learners,
    learners_course,
    submit,
)

API = "/api/v1"


def now() -> datetime:
    return datetime.now(UTC)


def iso(at: datetime) -> str:
    return at.isoformat()


async def open_assignment(client, course, **fields):
    """An assignment in the submission phase, due in an hour unless told otherwise."""
    fields.setdefault("submission_deadline", iso(now() + timedelta(hours=1)))
    fields.setdefault("review_deadline", iso(now() + timedelta(days=3)))
    a = await create_assignment(client, course, **fields)
    response = await client.post(
        f"{API}/assignments/{a['id']}/phase",
        json={"phase": "submission"},
        headers=course.instructor.headers,
    )
    assert response.status_code == 200, response.text
    return a["id"]


async def set_schedule(client, course, aid, **policy):
    response = await client.put(
        f"{API}/assignments/{aid}/schedule", json=policy, headers=course.instructor.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def move_deadline(conn, course, aid, column: str, at: datetime) -> None:
    """The deadline passes (tests cannot wait for it)."""
    sql = {
        "submission_deadline": "UPDATE pr_assignments SET submission_deadline = $3 "
        "WHERE course_id = $1 AND id = $2",
        "review_deadline": "UPDATE pr_assignments SET review_deadline = $3 "
        "WHERE course_id = $1 AND id = $2",
    }[column]
    await conn.execute(sql, course.id, aid, at)


async def phase(conn, course, aid) -> str:
    return await conn.fetchval(
        "SELECT phase FROM pr_assignments WHERE course_id = $1 AND id = $2", course.id, aid
    )


async def outbox_jobs(conn, course, job: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM outbox WHERE course_id = $1 AND job = $2", course.id, job
    )


async def next_task(client, member, aid):
    response = await client.get(f"{API}/assignments/{aid}/reviews/next", headers=member.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def review(client, member, task, choices=(2, 1)):
    response = await client.post(
        f"{API}/assignments/{task['submission']['assignment_id']}/reviews",
        json={"allocation_id": task["allocation_id"], "choices": list(choices),
              "criterion_comments": ["", "ok"]},
        headers=member.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text


async def test_cron_job_switches_to_review_at_the_deadline_once_and_allocates(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 4)
    aid = await open_assignment(client, course, reviews_per_submission=2)
    for m in learners(course):
        await submit(client, m, aid)
    # the deadline has not come: the job leaves it alone (the reminder job reminds nobody:
    # everyone has submitted)
    await jobs.peerreview_deadlines({"db": database})
    assert await jobs.peerreview_reminders({"db": database}) == 0
    assert await phase(conn, course, aid) == "submission"
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(minutes=1))
    first = await jobs.peerreview_deadlines({"db": database})
    assert first["switched"] == [f"{aid}:review"]
    assert await phase(conn, course, aid) == "review"
    # run again (a double run, a restart): nothing more, one allocation job only
    again = await jobs.peerreview_deadlines({"db": database})
    assert again["switched"] == []
    assert await outbox_jobs(conn, course, "peerreview_allocate") == 1
    await drain_jobs(database, redis, run_jobs)
    allocated = await conn.fetchval(
        "SELECT count(*) FROM pr_allocations WHERE course_id = $1 AND assignment_id = $2",
        course.id,
        aid,
    )
    assert allocated == 4 * 2


async def test_switch_waits_for_the_grace_period_on_a_fixed_clock(client, conn):
    course = await learners_course(conn, 3)
    due = now() + timedelta(hours=2)
    aid = await open_assignment(
        client, course, allocation_mode="dynamic", submission_deadline=iso(due)
    )
    await set_schedule(client, course, aid, grace_minutes=30)
    assert (await deadlines.run_deadlines(conn, due)).switched == []
    assert (await deadlines.run_deadlines(conn, due + timedelta(minutes=29))).switched == []
    assert (await deadlines.run_deadlines(conn, due + timedelta(minutes=30))).switched == [
        f"{aid}:review"
    ]
    assert (await deadlines.run_deadlines(conn, due + timedelta(minutes=31))).switched == []


async def test_batch_switch_with_too_few_submissions_waits_and_the_schedule_says_why(client, conn):
    course = await learners_course(conn, 3)
    aid = await open_assignment(client, course, reviews_per_submission=2)
    await submit(client, learners(course)[0], aid)
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(minutes=5))
    assert (await deadlines.run_deadlines(conn)).switched == []
    assert await phase(conn, course, aid) == "submission"
    schedule = (
        await client.get(f"{API}/assignments/{aid}/schedule", headers=course.instructor.headers)
    ).json()
    assert schedule["next_switch"]["phase"] == "review"
    assert "needs at least 3 submissions" in schedule["next_switch"]["waiting"]
    learner = learners(course)[1]
    denied = await client.get(f"{API}/assignments/{aid}/schedule", headers=learner.headers)
    assert denied.status_code == 403


async def test_grading_and_release_follow_their_times(client, conn, database, redis, run_jobs):
    course = await learners_course(conn, 3)
    aid = await open_assignment(client, course, allocation_mode="dynamic")
    people = learners(course)
    for m in people:
        await submit(client, m, aid)
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(hours=2))
    await deadlines.run_deadlines(conn)
    for m in people:
        for _ in range(2):
            await review(client, m, await next_task(client, m, aid))
    await set_schedule(client, course, aid, release_at=iso(now() + timedelta(days=5)))
    await move_deadline(conn, course, aid, "review_deadline", now() - timedelta(minutes=1))
    assert (await deadlines.run_deadlines(conn)).switched == [f"{aid}:grading"]
    await drain_jobs(database, redis, run_jobs)  # the grading run the switch queued
    # release_at has not come
    assert (await deadlines.run_deadlines(conn)).switched == []
    assert (await deadlines.run_deadlines(conn, now() + timedelta(days=5))).switched == [
        f"{aid}:released"
    ]
    released = await conn.fetchval(
        """SELECT count(*) FROM pr_grades WHERE course_id = $1 AND assignment_id = $2
              AND released_at IS NOT NULL""",
        course.id,
        aid,
    )
    assert released == 3


async def test_release_waits_for_grades_newer_than_the_reviews(client, conn):
    course = await learners_course(conn, 3)
    aid = await open_assignment(client, course, allocation_mode="dynamic")
    for m in learners(course):
        await submit(client, m, aid)
    await set_schedule(client, course, aid, release_at=iso(now() + timedelta(days=5)))
    later = now() + timedelta(days=6)
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(hours=2))
    await move_deadline(conn, course, aid, "review_deadline", now() - timedelta(hours=1))
    run = await deadlines.run_deadlines(conn, later)
    # submission → review → grading in this run's scan order is one step per run
    assert run.switched == [f"{aid}:review"]
    assert (await deadlines.run_deadlines(conn, later)).switched == [f"{aid}:grading"]
    # no grading run has finished: the release waits
    assert (await deadlines.run_deadlines(conn, later)).switched == []
    assert await phase(conn, course, aid) == "grading"


async def test_reminders_are_written_and_emailed_once(client, conn, settings):
    course = await learners_course(conn, 3)
    aid = await open_assignment(client, course, submission_deadline=iso(now() + timedelta(hours=5)))
    done, *late = learners(course)
    await submit(client, done, aid)
    await conn.execute(
        "UPDATE users SET email = 'learner' || id || '@example.org' WHERE id = ANY($1::bigint[])",
        [m.user_id for m in late],
    )
    run = await deadlines.run_deadlines(conn)
    assert run.reminders == 2
    assert (await deadlines.run_deadlines(conn)).reminders == 0
    assert await outbox_jobs(conn, course, "peerreview_email_reminders") == 1
    mine = await client.get(f"{API}/courses/{course.id}/reminders", headers=late[0].headers)
    items = mine.json()["items"]
    assert [(r["assignment_id"], r["kind"]) for r in items] == [(aid, "submission")]
    none = await client.get(f"{API}/courses/{course.id}/reminders", headers=done.headers)
    assert none.json()["items"] == []
    sent = []

    async def send(message):
        sent.append(message)

    assert await deadlines.send_reminder_emails(conn, settings, course.id, aid, send) == 2
    assert await deadlines.send_reminder_emails(conn, settings, course.id, aid, send) == 0
    assert all("Essay on feedback loops" in m["Subject"] for m in sent)
    dismissed = await client.post(
        f"{API}/courses/{course.id}/reminders/read",
        json={"ids": [items[0]["id"]]},
        headers=late[0].headers,
    )
    assert dismissed.json() == {"read": 1}
    # another learner's reminder is not theirs to dismiss
    other = await client.post(
        f"{API}/courses/{course.id}/reminders/read",
        json={"ids": [items[0]["id"]]},
        headers=late[1].headers,
    )
    assert other.json() == {"read": 0}


async def test_no_reminder_far_from_the_deadline_or_when_turned_off(client, conn):
    course = await learners_course(conn, 2)
    far = await open_assignment(client, course, submission_deadline=iso(now() + timedelta(days=3)))
    off = await open_assignment(client, course, submission_deadline=iso(now() + timedelta(hours=2)))
    await set_schedule(client, course, off, remind_hours=0)
    assert (await deadlines.run_deadlines(conn)).reminders == 0
    assert far and off


async def test_grace_period_accepts_work_and_then_closes(client, conn):
    course = await learners_course(conn, 3)
    aid = await open_assignment(client, course, allocation_mode="dynamic")
    await set_schedule(client, course, aid, grace_minutes=60)
    a, b = learners(course)[:2]
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(minutes=30))
    await submit(client, a, aid)  # within the grace period
    status = (await client.get(f"{API}/assignments/{aid}/due", headers=a.headers)).json()
    assert status["late_minutes"] == 0 and status["penalty_percent"] == 0
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(minutes=61))
    closed = await client.post(
        f"{API}/assignments/{aid}/submissions", json={"body": "late"}, headers=b.headers
    )
    assert closed.status_code == 409


@pytest.mark.parametrize(("hours_late", "penalty"), [(2, 10.0), (30, 20.0), (100, 25.0)])
async def test_late_work_is_accepted_with_a_capped_penalty_in_the_final_score(
    client, conn, database, redis, run_jobs, hours_late, penalty
):
    course = await learners_course(conn, 3)
    aid = await open_assignment(client, course, allocation_mode="dynamic")
    await set_schedule(client, course, aid, accept_late=True, penalty_per_day=10, penalty_max=25)
    people = learners(course)
    for m in people[:2]:
        await submit(client, m, aid)
    due = now() - timedelta(hours=hours_late)
    await move_deadline(conn, course, aid, "submission_deadline", due)
    await conn.execute(  # the on-time work was in before the deadline
        "UPDATE pr_submissions SET updated_at = $3 WHERE course_id = $1 AND assignment_id = $2",
        course.id,
        aid,
        due - timedelta(minutes=1),
    )
    await deadlines.run_deadlines(conn)
    late = people[2]
    mine = await submit(client, late, aid)
    status = (await client.get(f"{API}/assignments/{aid}/due", headers=late.headers)).json()
    assert status["penalty_percent"] == penalty and status["late_minutes"] >= hours_late * 60 - 1
    for m in people:
        for _ in range(2):
            await review(client, m, await next_task(client, m, aid))
    await move_deadline(conn, course, aid, "review_deadline", now() - timedelta(minutes=1))
    await deadlines.run_deadlines(conn)
    await drain_jobs(database, redis, run_jobs)
    row = await conn.fetchrow(
        "SELECT estimate, late_penalty, final_score FROM pr_grades WHERE course_id = $1 "
        "AND submission_id = $2",
        course.id,
        mine["id"],
    )
    assert row["late_penalty"] == pytest.approx(penalty / 100)
    assert row["final_score"] == pytest.approx(row["estimate"] * (1 - penalty / 100))
    on_time = await conn.fetchval(
        "SELECT max(late_penalty) FROM pr_grades WHERE course_id = $1 AND submission_id <> $2",
        course.id,
        mine["id"],
    )
    assert on_time == 0
    # released, the learner reads the penalty with their grade, and why
    released = await client.post(
        f"{API}/assignments/{aid}/phase", json={"phase": "released"},
        headers=course.instructor.headers,
    )  # fmt: skip
    assert released.status_code == 200, released.text
    grades = await client.get(f"{API}/assignments/{aid}/grades", headers=late.headers)
    assert grades.json()["items"][0]["late_penalty"] == pytest.approx(penalty / 100)
    page = await client.get(
        f"/ui/courses/{course.id}/assignments/{aid}/grade", headers=late.headers
    )
    assert f"the late penalty takes {penalty:g}% off" in page.text


async def test_extension_lets_one_learner_submit_after_the_batch_allocation(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 5)
    aid = await open_assignment(client, course, reviews_per_submission=2)
    await set_schedule(client, course, aid, penalty_per_day=10)
    people = learners(course)
    on_time, late, other = people[:3], people[3], people[4]
    for m in on_time:
        await submit(client, m, aid)
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(hours=1))
    await deadlines.run_deadlines(conn)
    await drain_jobs(database, redis, run_jobs)  # batch allocation
    # a learner cannot grant themselves an extension
    due = iso(now() + timedelta(days=1))
    body = {"user_id": late.user_id, "due_at": due, "reason": "illness"}
    mine = await client.put(f"{API}/assignments/{aid}/extensions", json=body, headers=late.headers)
    assert mine.status_code == 403
    granted = await client.put(
        f"{API}/assignments/{aid}/extensions", json=body, headers=course.ta.headers
    )
    assert granted.status_code == 200, granted.text
    listed = await client.get(
        f"{API}/assignments/{aid}/extensions", headers=course.instructor.headers
    )
    assert [e["learner"]["id"] for e in listed.json()["items"]] == [late.user_id]
    await submit(client, late, aid)
    status = (await client.get(f"{API}/assignments/{aid}/due", headers=late.headers)).json()
    assert status["extended"] and status["extension_reason"] == "illness"
    assert status["penalty_percent"] == 0
    closed = await client.post(
        f"{API}/assignments/{aid}/submissions", json={"body": "x"}, headers=other.headers
    )
    assert closed.status_code == 409
    bad = await client.put(
        f"{API}/assignments/{aid}/extensions",
        json={"user_id": course.instructor.user_id, "due_at": due},
        headers=course.instructor.headers,
    )
    assert bad.status_code == 422
    revoked = await client.delete(
        f"{API}/assignments/{aid}/extensions/{late.user_id}", headers=course.instructor.headers
    )
    assert revoked.status_code == 204
    status = (await client.get(f"{API}/assignments/{aid}/due", headers=late.headers)).json()
    assert not status["extended"] and status["penalty_percent"] == 10


async def test_the_assignment_says_a_learner_may_still_submit_by_extension_or_grace(client, conn):
    """AssignmentRead.can_submit (read, listed, and what the page shows) follows the same rule
    as the learner's due date and the submit check: their extension, then the grace period."""
    course = await learners_course(conn, 2)
    aid = await open_assignment(client, course, allocation_mode="dynamic")
    extended, other = learners(course)
    granted = await client.put(
        f"{API}/assignments/{aid}/extensions",
        json={"user_id": extended.user_id, "due_at": iso(now() + timedelta(days=1)),
              "reason": "illness"},
        headers=course.instructor.headers,
    )  # fmt: skip
    assert granted.status_code == 200, granted.text
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(minutes=30))

    async def flags(member):
        read = (await client.get(f"{API}/assignments/{aid}", headers=member.headers)).json()
        listed = await client.get(f"{API}/courses/{course.id}/assignments", headers=member.headers)
        [item] = [a for a in listed.json()["items"] if a["id"] == aid]
        due = (await client.get(f"{API}/assignments/{aid}/due", headers=member.headers)).json()
        assert read["can_submit"] == item["can_submit"] == due["can_submit"]
        return read["can_submit"], due["open_late"]

    assert await flags(extended) == (True, True)
    assert await flags(other) == (False, False)
    assert not (await client.get(f"{API}/assignments/{aid}", headers=course.ta.headers)).json()[
        "can_submit"
    ]
    page = f"/ui/courses/{course.id}/assignments/{aid}"
    mine = await client.get(page, headers=extended.headers)
    assert 'id="submission-body"' in mine.text  # the submission form, with its files
    assert 'id="submission-body"' not in (await client.get(page, headers=other.headers)).text
    due_page = await client.get(page + "/due", headers=extended.headers)
    assert "your extension lets you submit until your due date" in due_page.text
    await submit(client, extended, aid)
    # a grace period opens the window again for everyone else, and the page says why
    await set_schedule(client, course, aid, grace_minutes=60)
    assert await flags(other) == (True, True)
    due_page = await client.get(page + "/due", headers=other.headers)
    assert "within the grace period still counts as on time" in due_page.text
    await submit(client, other, aid)


async def test_extension_of_another_course_is_not_found(client, conn, other_course):
    course = await learners_course(conn, 2)
    aid = await open_assignment(client, course)
    response = await client.put(
        f"{API}/assignments/{aid}/extensions",
        json={"user_id": learners(course)[0].user_id, "due_at": iso(now())},
        headers=other_course.instructor.headers,
    )
    assert response.status_code == 404


async def test_late_submitter_gets_reviewers_after_everyone_finished(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 5)
    aid = await open_assignment(client, course, reviews_per_submission=2)
    people = learners(course)
    on_time, late = people[:4], people[4]
    for m in on_time:
        await submit(client, m, aid)
    await move_deadline(conn, course, aid, "submission_deadline", now() - timedelta(hours=1))
    await deadlines.run_deadlines(conn)
    await drain_jobs(database, redis, run_jobs)
    for m in on_time:  # the batch: two reviews each, then nothing left for them
        for _ in range(2):
            await review(client, m, await next_task(client, m, aid))
    await client.put(
        f"{API}/assignments/{aid}/extensions",
        json={"user_id": late.user_id, "due_at": iso(now() + timedelta(hours=3))},
        headers=course.instructor.headers,
    )
    late_sub = (await submit(client, late, aid))["id"]
    for _ in range(2):  # the late learner reviews others, leased dynamically
        task = await next_task(client, late, aid)
        assert task["available"] and task["submission"]["id"] != late_sub
        await review(client, late, task)
    # reviewers who did theirs are offered the late work first, until it has k reviews
    offered = []
    for m in on_time:
        task = await next_task(client, m, aid)
        if task["available"]:
            offered.append(task["submission"]["id"])
            await review(client, m, task)
    assert offered == [late_sub, late_sub]
    done = await conn.fetchval(
        "SELECT reviews_done FROM pr_submissions WHERE course_id = $1 AND id = $2",
        course.id,
        late_sub,
    )
    assert done == 2


async def test_a_reminder_stands_only_while_its_due_date_does(client, conn):
    course = await learners_course(conn, 2)
    aid = await open_assignment(client, course, submission_deadline=iso(now() + timedelta(hours=5)))
    first, second = learners(course)
    await deadlines.run_deadlines(conn)
    url = f"{API}/courses/{course.id}/reminders?assignment_id={aid}"

    async def kinds(member):
        return [r["kind"] for r in (await client.get(url, headers=member.headers)).json()["items"]]

    assert await kinds(first) == ["submission"] and await kinds(second) == ["submission"]
    await submit(client, first, aid)  # submitted: nothing to remind of
    assert await kinds(first) == []
    # an extension moves the second learner's due date: the old reminder no longer stands,
    # and the new date is reminded of when it comes near
    new_due = now() + timedelta(days=2)
    await client.put(
        f"{API}/assignments/{aid}/extensions",
        json={"user_id": second.user_id, "due_at": iso(new_due)},
        headers=course.instructor.headers,
    )
    assert await kinds(second) == []
    assert (await deadlines.run_deadlines(conn)).reminders == 0
    assert (await deadlines.run_deadlines(conn, new_due - timedelta(hours=2))).reminders == 1


async def test_concurrent_runs_switch_an_assignment_once(database_url, settings, redis):
    """Several workers' runs at once (a restart overlapping, two replicas): one switch, one
    allocation job."""
    pool = await create_pool(database_url, min_size=4, max_size=12)
    async with pool.acquire() as c:
        course = await learners_course(c, 3)
    app = create_app(settings, database=Database(pool=pool), redis=redis)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            aid = await open_assignment(client, course, reviews_per_submission=2)
            for m in learners(course):
                await submit(client, m, aid)
        async with pool.acquire() as c:
            await move_deadline(c, course, aid, "submission_deadline", now() - timedelta(minutes=1))

        async def run():
            async with pool.acquire() as c:
                return await deadlines.run_deadlines(c, reminders=False)

        runs = await asyncio.gather(*[run() for _ in range(6)])
        assert sum(len(r.switched) for r in runs) == 1
        async with pool.acquire() as c:
            assert await phase(c, course, aid) == "review"
            assert await outbox_jobs(c, course, "peerreview_allocate") == 1
    finally:
        async with pool.acquire() as c:
            await delete_committed_course(c, course.id, course.platform_id)
        await pool.close()
