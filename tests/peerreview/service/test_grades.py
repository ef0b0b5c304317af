"""peerreview.service.grades called directly: the staff's grade lists page by keyset (the
doubtful queue by doubt, then id), learners see only their own released grade."""

from datetime import UTC, datetime

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


async def reviewed_by_peers(conn, method: str, choices_by_submission: list[list[list[int]]]):
    """A course whose learners each submitted, with peer reviews written straight as rows: review
    j of submission i is by the learner j + 1 places further on and picks `choices[i][j]`."""
    n = len(choices_by_submission)
    course, a, subs, ta, people = await graded(conn, [0.0] * n)
    await assignment_queries.update_assignment(conn, course.id, a.id, {"grading_method": method})
    points = [[o["points"] for o in c["options"]] for c in a.rubric]
    for i, reviews in enumerate(choices_by_submission):
        for j, choices in enumerate(reviews):
            scores = [float(points[c][choice]) for c, choice in enumerate(choices)]
            await conn.execute(
                """INSERT INTO pr_reviews (course_id, assignment_id, submission_id, reviewer_id,
                       choices, scores, total)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)""",
                course.id, a.id, subs[i], people[(i + j + 1) % n].user_id, choices, scores,
                sum(scores),
            )  # fmt: skip
    return course, a, subs, ta, people


@pytest.mark.parametrize("method", ["calibrated", "median", "mean"])
async def test_criteria_add_up_to_the_total_estimate(conn, method):
    # criteria fitted one by one (a median of each criterion especially) miss the total
    reviews = [
        [[3, 2], [1, 0], [2, 1]],
        [[2, 1], [3, 0], [0, 2]],
        [[1, 1], [1, 2], [3, 0]],
        [[0, 0], [2, 2], [3, 1]],
    ]
    course, a, subs, ta, _ = await reviewed_by_peers(conn, method, reviews)
    await grades.run_grading(conn, course.id, a.id)
    listed = (await grades.list_grades(conn, ta, a.id)).items
    assert len(listed) == 4
    for g in listed:
        assert g.estimate is not None and len(g.criteria) == 2
        assert sum(g.criteria) == pytest.approx(g.estimate, abs=1e-9)
        assert 0 <= g.criteria[0] <= 6 and 0 <= g.criteria[1] <= 4


async def test_an_overridden_grade_leaves_the_queue_loses_its_doubt_and_its_criteria(conn):
    course, a, subs, ta, _ = await graded(conn, [3.0, 2.0])
    assert await walk(conn, ta, a, doubtful=True, limit=5) == [subs[0], subs[1]]
    read = await grades.override_grade(
        conn, ta, subs[0], grades.s.Override(score=8.0, reason="Read it myself")
    )
    assert read.final_score == 8.0 and not read.doubtful and read.criteria == []
    assert await walk(conn, ta, a, doubtful=True, limit=5) == [subs[1]]
    everything = {g.id: g for g in (await grades.list_grades(conn, ta, a.id)).items}
    assert not everything[subs[0]].doubtful and everything[subs[1]].doubtful
    assert everything[subs[1]].criteria == [3.0, 2.0]


def test_criteria_shown_are_rounded_to_add_up_to_the_total_shown():
    def read(final, criteria):
        return grades.s.GradeRead(
            id=1, assignment_id=1, estimate=final, criteria=criteria, confidence=0.5,
            method="calibrated", n_reviews=3, spread=0.0, doubt=0.0, doubtful=False,
            override_score=None, override_reason="", final_score=final, points_possible=10.0,
            released=True, computed_at=datetime.now(UTC), can_request_regrade=False,
            peer_estimate=final,
        )  # fmt: skip

    # printed one by one these read 4.1 + 3.2 = 7.3 beside a total of 7.2 (the float 7.25)
    assert grades.criteria_shown(read(7.25, [4.075, 3.175])) == [4.1, 3.1]
    assert grades.criteria_shown(read(9.96, [5.98, 3.98])) == [6.0, 4.0]
    assert grades.criteria_shown(read(9.96, [])) == []
