"""peerreview.queries.grades on the rolled-back connection: the grading run's upsert keeps
overrides and release, the doubtful queue's keyset order, overrides with and without a grade."""

from peerreview.queries import grades as q
from peerreview.queries.grades import GradingResult
from tests.peerreview.helpers import (
    insert_assignment_row,
    insert_submission_row,
    learners,
    learners_course,
)


def result(subs, estimates, *, doubt=None, doubtful=None, method="calibrated") -> GradingResult:
    n = len(subs)
    return GradingResult(
        method=method,
        submission=list(subs),
        estimate=list(estimates),
        criteria=["{" + ",".join(map(repr, (e / 2, e / 2))) + "}" for e in estimates],
        confidence=[0.5] * n,
        n_reviews=[3] * n,
        spread=[1.0] * n,
        doubt=list(doubt or [0.0] * n),
        doubtful=list(doubtful or [False] * n),
    )


async def graded_assignment(conn, n: int = 3):
    course = await learners_course(conn, n)
    a = await insert_assignment_row(conn, course)
    subs = [await insert_submission_row(conn, course.id, a.id, m.user_id) for m in learners(course)]
    return course, a, subs


async def test_upsert_stores_a_run_and_marks_doubtful_submissions_uncertain(conn):
    course, a, subs = await graded_assignment(conn)
    await q.upsert_grades(
        conn, course.id, a.id, result(subs, [6.0, 7.5, 9.0], doubtful=[False, True, False])
    )
    grades = await q.select_grades(conn, course.id, a.id, after_id=0, limit=10)
    assert [g.submission_id for g in grades] == subs
    assert [g.estimate for g in grades] == [6.0, 7.5, 9.0]
    assert [g.final_score for g in grades] == [6.0, 7.5, 9.0]
    assert grades[1].criteria == [3.75, 3.75]  # parsed from the array literal
    assert grades[0].method == "calibrated" and grades[0].released_at is None
    uncertain = await conn.fetch(
        "SELECT id, uncertain FROM pr_submissions WHERE id = ANY($1::bigint[]) ORDER BY id", subs
    )
    assert [r["uncertain"] for r in uncertain] == [False, True, False]


async def test_a_second_run_updates_estimates_but_keeps_overrides_and_release(conn):
    course, a, subs = await graded_assignment(conn)
    staff = course.instructor.user_id
    await q.upsert_grades(conn, course.id, a.id, result(subs, [6.0, 7.0, 8.0]))
    overridden = await q.set_override(
        conn, course.id, subs[0], score=9.5, reason="rubric error", by=staff
    )
    assert overridden.override_score == 9.5 and overridden.final_score == 9.5
    assert await q.release_grades(conn, course.id, a.id) == 3
    assert await q.release_grades(conn, course.id, a.id) == 0  # already released
    released = await q.select_grade(conn, course.id, subs[1])
    await q.upsert_grades(
        conn, course.id, a.id, result(subs, [5.0, 5.5, 6.0], doubtful=[True, False, False])
    )
    first = await q.select_grade(conn, course.id, subs[0])
    assert first.estimate == 5.0 and first.doubtful
    assert first.override_score == 9.5 and first.final_score == 9.5
    assert first.override_reason == "rubric error"
    second = await q.select_grade(conn, course.id, subs[1])
    assert second.estimate == 5.5 and second.released_at == released.released_at


async def test_doubtful_queue_is_most_doubtful_first_without_overridden_and_pages_by_keyset(conn):
    course, a, subs = await graded_assignment(conn, 5)
    await q.upsert_grades(
        conn,
        course.id,
        a.id,
        result(
            subs,
            [5.0] * 5,
            doubt=[2.0, 9.0, 2.0, 4.0, 0.1],
            doubtful=[True, True, True, True, False],
        ),
    )
    await q.set_override(
        conn, course.id, subs[3], score=6.0, reason="seen", by=course.instructor.user_id
    )
    page = await q.select_doubtful(conn, course.id, a.id, after=None, limit=2)
    assert [g.submission_id for g in page] == [subs[1], subs[0]]
    last = page[-1]
    rest = await q.select_doubtful(
        conn, course.id, a.id, after=(last.doubt, last.submission_id), limit=2
    )
    # equal doubt: the next id; the overridden and the not doubtful never show
    assert [g.submission_id for g in rest] == [subs[2]]


async def test_override_without_a_grade_inserts_one_and_clearing_falls_back_to_the_estimate(conn):
    course, a, subs = await graded_assignment(conn, 2)
    staff = course.instructor.user_id
    assert await q.set_override(conn, course.id, subs[0], score=4.0, reason="x", by=staff) is None
    inserted = await q.insert_override_grade(
        conn, course.id, a.id, subs[0], score=4.0, reason="no reviews", by=staff
    )
    assert inserted.method == "override" and inserted.estimate is None
    assert inserted.final_score == 4.0
    await q.upsert_grades(conn, course.id, a.id, result(subs, [7.0, 8.0]))
    cleared = await q.set_override(conn, course.id, subs[0], score=None, reason="undo", by=staff)
    assert cleared.override_score is None and cleared.final_score == 7.0
    assert await q.select_grade(conn, course.id, 2**62) is None
