"""peerreview.queries.review_quality on the rolled-back connection: a run's store replaces each
reviewer's row and drops those it no longer scores; a grade takes its owner's score, a team's
the mean of its members'."""

from peerreview.queries import grades as grade_queries
from peerreview.queries import review_quality as q
from tests.peerreview.helpers import (
    insert_assignment_row,
    insert_submission_row,
    learners,
    learners_course,
)
from tests.peerreview.queries.test_grades import result


async def store(conn, course_id, aid, users, scores):
    n = len(users)
    await q.replace_review_quality(
        conn, course_id, aid, users=users, score=scores, agreement=[0.5] * n,
        n_reviews=[2] * n, mean_deviation=[1.0] * n, calibration=[None] * n,
        n_calibration=[0] * n, calibration_deviation=[None] * n, helpfulness=[None] * n,
        n_rated=[0] * n, mean_rating=[None] * n,
    )  # fmt: skip


async def test_a_team_grade_takes_its_members_mean_and_an_individual_its_authors(conn):
    course = await learners_course(conn, 3)
    a, b, c = learners(course)
    aid = (await insert_assignment_row(conn, course, team_submissions=True)).id
    await conn.execute(
        """INSERT INTO pr_team_members (course_id, assignment_id, user_id, team)
           VALUES ($1, $2, $3, 'red'), ($1, $2, $4, 'red')""",
        course.id, aid, a.user_id, b.user_id,
    )  # fmt: skip
    team = await insert_submission_row(conn, course.id, aid, a.user_id, team="red")
    alone = await insert_submission_row(conn, course.id, aid, c.user_id)
    await grade_queries.upsert_grades(conn, course.id, aid, result([team, alone], [5.0, 6.0]))
    await store(conn, course.id, aid, [a.user_id, b.user_id, c.user_id], [80.0, 40.0, 70.0])
    await q.update_grades_review_quality(conn, course.id, aid)
    rows = await conn.fetch(
        "SELECT submission_id, review_quality FROM pr_grades WHERE course_id = $1", course.id
    )
    assert {r["submission_id"]: r["review_quality"] for r in rows} == {team: 60.0, alone: 70.0}
    # the next run no longer scores c: c's row goes, and so does the score c's grade held
    await store(conn, course.id, aid, [a.user_id, b.user_id], [90.0, 40.0])
    await q.update_grades_review_quality(conn, course.id, aid)
    assert await q.select_review_quality(conn, course.id, aid, c.user_id) is None
    assert (await q.select_review_quality(conn, course.id, aid, a.user_id)).score == 90.0
    rows = await conn.fetch(
        "SELECT submission_id, review_quality FROM pr_grades WHERE course_id = $1", course.id
    )
    assert {r["submission_id"]: r["review_quality"] for r in rows} == {team: 65.0, alone: None}
