"""peerreview.service.grades called directly: the staff's grade lists page by keyset (the
doubtful queue by doubt, then id), learners see only their own released grade."""

import pytest

from agora.errors import BadRequest
from agora.sessions import Principal
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import grades as grade_queries
from peerreview.queries.grades import GradingResult
from peerreview.service import grades
from tests.peerreview.helpers import (
    insert_assignment_row,
    insert_submission_row,
    learners,
    learners_course,
)


async def graded(conn, doubts: list[float]):
    course = await learners_course(conn, len(doubts))
    a = await insert_assignment_row(conn, course)
    a = await assignment_queries.update_assignment(conn, course.id, a.id, {"phase": "grading"})
    people = learners(course)
    subs = [await insert_submission_row(conn, course.id, a.id, m.user_id) for m in people]
    n = len(subs)
    await grade_queries.upsert_grades(
        conn,
        course.id,
        a.id,
        GradingResult(
            method="median", submission=subs, estimate=[5.0] * n, criteria=["{3.0,2.0}"] * n,
            confidence=[1.0] * n, n_reviews=[2] * n, spread=[1.0] * n, doubt=doubts,
            doubtful=[d > 1 for d in doubts],
        ),
    )  # fmt: skip
    ta = Principal(user_id=course.ta.user_id, course_id=course.id, role="ta")
    return course, a, subs, ta, people


async def walk(conn, ta, a, *, doubtful: bool, limit: int) -> list[int]:
    seen, cursor = [], None
    while True:
        page = await grades.list_grades(conn, ta, a.id, cursor, limit, doubtful=doubtful)
        seen += [g.id for g in page.items]
        assert len(page.items) <= limit
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


async def test_doubtful_queue_pages_most_doubtful_first_with_ties_by_id(conn):
    course, a, subs, ta, _ = await graded(conn, [3.0, 0.5, 7.25, 3.0, 9.0])
    assert await walk(conn, ta, a, doubtful=True, limit=2) == [subs[4], subs[2], subs[0], subs[3]]
    assert await walk(conn, ta, a, doubtful=False, limit=2) == subs
    with pytest.raises(BadRequest):
        await grades.list_grades(conn, ta, a.id, "WyJ4IiwxXQ", 2, doubtful=True)  # ["x",1]
    with pytest.raises(BadRequest):
        await grades.list_grades(conn, ta, a.id, None, 201)
    assert len((await grades.list_grades(conn, ta, a.id)).items) == 5  # default limit 50


async def test_learners_see_their_own_grade_once_released(conn):
    course, a, subs, _, people = await graded(conn, [0.0, 0.0])
    me = Principal(user_id=people[0].user_id, course_id=course.id, role="learner")
    assert (await grades.list_grades(conn, me, a.id)).items == []
    await grade_queries.release_grades(conn, course.id, a.id)
    mine = await grades.list_grades(conn, me, a.id, None, 1)
    assert [g.id for g in mine.items] == [subs[0]] and mine.next_cursor is None
