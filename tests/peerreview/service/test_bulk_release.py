"""Release and passback are set-based: the SQL a release runs does not grow with the number of
grades, and the LMS passback is one job per batch of learners, not one per learner."""

from __future__ import annotations

import asyncio
import re

from agora.lti import ags
from agora.sessions import Principal
from peerreview.service.assignments import change_phase
from peerreview.service.passback import passback
from tests.peerreview.helpers import (
    insert_assignment_row,
    insert_submission_row,
    learners,
    learners_course,
)

TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|SAVEPOINT|RELEASE|COMMIT|ROLLBACK)\b", re.I)


async def graded(conn, n: int):
    """A course of n learners whose assignment is graded (one grade each), not yet released."""
    course = await learners_course(conn, n)
    a = await insert_assignment_row(conn, course)
    await conn.execute(
        "UPDATE pr_assignments SET phase = 'grading', graded_at = now() WHERE course_id = $1",
        course.id,
    )
    for i, m in enumerate(learners(course)):
        sid = await insert_submission_row(conn, course.id, a.id, m.user_id)
        await conn.execute(
            """INSERT INTO pr_grades (course_id, assignment_id, submission_id, estimate, method)
               VALUES ($1, $2, $3, $4, 'calibrated')""",
            course.id, a.id, sid, 3.0 + i % 7 + 0.123456,
        )  # fmt: skip
    teacher = Principal(user_id=course.instructor.user_id, course_id=course.id, role="instructor")
    return course, a, teacher


async def counted(conn, work) -> tuple[list[str], object]:
    queries: list[str] = []

    def log(record):
        if not TRANSACTION_CONTROL.match(record.query):
            queries.append(record.query)

    for _ in range(3):  # asyncpg calls loggers soon after, not during, a query: earlier ones
        await asyncio.sleep(0)
    conn.add_query_logger(log)
    try:
        result = await work
        for _ in range(3):
            await asyncio.sleep(0)
    finally:
        conn.remove_query_logger(log)
    return queries, result


async def release_statements(conn, n: int):
    course, a, teacher = await graded(conn, n)
    release, _ = await counted(conn, change_phase(conn, teacher, a.id, "released"))
    send, requested = await counted(conn, passback(conn, course.id, a.id))
    assert requested == n
    return course, release, send


async def test_release_and_passback_run_the_same_statements_for_3_or_30_grades(conn):
    # The first use of a type on a connection makes asyncpg introspect it (statements of its own).
    await release_statements(conn, 2)
    small_course, small_release, small_send = await release_statements(conn, 3)
    big_course, big_release, big_send = await release_statements(conn, 30)
    assert len(big_release) == len(small_release) <= 5, big_release
    assert len(big_send) == len(small_send) <= 3, big_send
    released = await conn.fetchval(
        "SELECT count(*) FROM pr_grades WHERE course_id = $1 AND released_at IS NOT NULL",
        big_course.id,
    )
    assert released == 30
    rows = await ags.select_passback_status(
        conn, course_id=big_course.id, resource_id=ags.assignment_resource_id(
            await conn.fetchval("SELECT id FROM pr_assignments WHERE course_id = $1",
                                big_course.id))
    )  # fmt: skip
    assert len(rows) == 30 and {r["status"] for r in rows} == {"pending"}
    assert all(r["score_given"] == round(r["score_given"], 2) for r in rows)


async def test_passback_enqueues_one_job_per_batch_and_a_rerun_none(conn):
    course, a, teacher = await graded(conn, 7)
    await change_phase(conn, teacher, a.id, "released")

    async def jobs() -> list[list[int]]:
        rows = await conn.fetch(
            """SELECT args FROM outbox WHERE course_id = $1 AND job = 'lti_publish_scores'
                ORDER BY id""",
            course.id,
        )
        return [r["args"][2] for r in rows]

    await passback(conn, course.id, a.id)
    (batch,) = await jobs()  # 7 learners: one batch (ags.PUBLISH_BATCH = 250)
    assert sorted(batch) == sorted(m.user_id for m in learners(course))
    assert await passback(conn, course.id, a.id) == 7  # the job again (an arq retry)
    assert len(await jobs()) == 1  # nothing changed: nothing more to send
