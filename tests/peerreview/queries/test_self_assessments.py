"""peerreview.queries.self_assessments on the rolled-back connection: one self-assessment per
submission (a second write replaces it), the steps' grade combined set-based (one submission or
all, overrides untouched), and grades for an assignment without peer review."""

from peerreview.queries import grades as grade_queries
from peerreview.queries import self_assessments as q
from peerreview.steps import Shares, combine
from tests.peerreview.helpers import (
    insert_assignment_row,
    insert_submission_row,
    learners,
    learners_course,
)
from tests.peerreview.queries.test_grades import result


async def graded(conn, estimates):
    course = await learners_course(conn, len(estimates))
    a = await insert_assignment_row(conn, course)
    subs = [await insert_submission_row(conn, course.id, a.id, m.user_id) for m in learners(course)]
    await grade_queries.upsert_grades(conn, course.id, a.id, result(subs, estimates))
    return course, a, subs


async def assess(conn, course, a, sub, user_id, total):
    return await q.upsert_self_assessment(
        conn, course.id, a.id, sub, user_id=user_id, choices=[1, 1], scores=[total, 0.0],
        total=total, criterion_comments=["", ""], comment="", comment_html="",
    )  # fmt: skip


async def test_a_second_self_assessment_replaces_the_first(conn):
    course, a, subs = await graded(conn, [6.0])
    first = await assess(conn, course, a, subs[0], course.instructor.user_id, 4.0)
    again = await assess(conn, course, a, subs[0], course.instructor.user_id, 9.0)
    assert again["total"] == 9.0 and again["created_at"] == first["created_at"]
    row = await q.select_self_assessment(conn, course.id, subs[0])
    assert row["total"] == 9.0
    assert await q.select_self_assessment(conn, course.id + 1000, subs[0]) is None


async def test_step_grades_follow_the_shares_for_one_submission_or_all(conn):
    course, a, subs = await graded(conn, [8.0, 6.0, 4.0])
    people = learners(course)
    await assess(conn, course, a, subs[0], people[0].user_id, 10.0)
    await assess(conn, course, a, subs[1], people[1].user_id, 2.0)
    share = Shares(peer=0.75, self=0.25)
    await q.update_step_grades(conn, course.id, a.id, share, subs[0])  # one submission only
    rows = {s: await grade_queries.select_grade(conn, course.id, s) for s in subs}
    assert rows[subs[0]].estimate == combine(share, 8.0, 10.0) == 8.5
    assert rows[subs[1]].estimate == 6.0 and rows[subs[1]].self_score is None
    await q.update_step_grades(conn, course.id, a.id, share)
    rows = {s: await grade_queries.select_grade(conn, course.id, s) for s in subs}
    assert [rows[s].final_score for s in subs] == [8.5, 5.0, 3.0]  # no self-assessment: 0
    assert [rows[s].peer_estimate for s in subs] == [8.0, 6.0, 4.0]
    assert [rows[s].self_score for s in subs] == [10.0, 2.0, None]
    # an override still wins, and peer review alone gives the peer estimate back
    await grade_queries.set_override(conn, course.id, subs[2], score=7.0, reason="r", by=1)
    await q.update_step_grades(conn, course.id, a.id, Shares(peer=1.0, self=0.0))
    rows = {s: await grade_queries.select_grade(conn, course.id, s) for s in subs}
    assert [rows[s].final_score for s in subs] == [8.0, 6.0, 7.0]


async def test_without_peer_review_every_submission_gets_a_self_grade(conn):
    course, a, subs = await graded(conn, [8.0])  # a peer grade from before the switch
    other = await insert_submission_row(conn, course.id, a.id, course.instructor.user_id)
    await assess(conn, course, a, subs[0], learners(course)[0].user_id, 5.0)
    assert await q.insert_self_only_grades(conn, course.id, a.id) == 2
    await q.update_step_grades(conn, course.id, a.id, Shares(peer=0.0, self=1.0))
    mine = await grade_queries.select_grade(conn, course.id, subs[0])
    assert (mine.method, mine.peer_estimate, mine.final_score) == ("self", None, 5.0)
    assert (await grade_queries.select_grade(conn, course.id, other)).final_score == 0.0
