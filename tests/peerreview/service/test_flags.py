"""The `can_…` flags the services put on their outputs (peerreview.rules decides them), called
directly on the rolled-back connection: what pages and templates ask instead of deciding."""

import msgspec

from agora.sessions import Principal
from peerreview import schemas as s
from peerreview.service import allocations, assignments, grades, reviews, submissions
from tests.peerreview.helpers import RUBRIC, learners, learners_course


def principal(course, member) -> Principal:
    return Principal(user_id=member.user_id, course_id=course.id, role=member.role)


def new_assignment(body: dict) -> s.AssignmentCreate:
    return msgspec.convert(body, s.AssignmentCreate)


def flags(a: s.AssignmentRead) -> dict[str, bool]:
    return {f: getattr(a, f) for f in a.__struct_fields__ if f.startswith("can_")}


async def test_assignment_flags_follow_the_viewer_and_the_phase(conn):
    course = await learners_course(conn, 2)
    teacher, ta = principal(course, course.instructor), principal(course, course.ta)
    learner = principal(course, learners(course)[0])
    a = await assignments.create_assignment(
        conn, teacher, course.id,
        new_assignment({"title": "Essay", "rubric": RUBRIC, "allocation_mode": "dynamic"}),
    )  # fmt: skip
    assert flags(a) == {
        "can_manage": True, "can_supervise": True, "can_submit": False, "can_calibrate": False,
        "can_review": False, "can_allocate": False, "can_run_grading": False,
        "can_self_assess": False,
    }  # fmt: skip
    await assignments.change_phase(conn, teacher, a.id, "submission")
    seen = await assignments.get_assignment(conn, learner, a.id)
    assert flags(seen) == {
        "can_manage": False, "can_supervise": False, "can_submit": True, "can_calibrate": True,
        "can_review": False, "can_allocate": False, "can_run_grading": False,
        "can_self_assess": False,
    }  # fmt: skip
    by_ta = await assignments.get_assignment(conn, ta, a.id)
    assert by_ta.can_supervise and not by_ta.can_manage and not by_ta.can_submit
    await assignments.change_phase(conn, teacher, a.id, "review")
    seen = await assignments.get_assignment(conn, learner, a.id)
    # self-paced: still open for late work, and reviewing now
    assert seen.can_submit and seen.can_review and seen.can_calibrate
    assert (await assignments.get_assignment(conn, teacher, a.id)).can_run_grading
    listed = await assignments.list_assignments(conn, learner, course.id)
    assert [x.can_review for x in listed.items] == [True]


async def test_review_and_grade_flags_for_the_author_and_the_staff(conn):
    course = await learners_course(conn, 2)
    teacher = principal(course, course.instructor)
    x, y = (principal(course, m) for m in learners(course))
    a = await assignments.create_assignment(
        conn, teacher, course.id,
        new_assignment({"title": "Essay", "rubric": RUBRIC, "allocation_mode": "dynamic",
                         "reviews_per_submission": 1}),
    )  # fmt: skip
    await assignments.change_phase(conn, teacher, a.id, "review")
    sub_x, _ = await submissions.submit(conn, x, a.id, s.SubmissionWrite(body="x's essay"))
    await submissions.submit(conn, y, a.id, s.SubmissionWrite(body="y's essay"))
    task = await allocations.next_review(conn, y, a.id)
    assert task.submission.id == sub_x.id
    written = await reviews.create_review(
        conn, y, a.id, s.ReviewCreate(allocation_id=task.allocation_id, choices=[2, 1])
    )
    assert not written.can_rate and written.reviewer_id == y.user_id
    await grades.run_grading(conn, course.id, a.id)
    await assignments.change_phase(conn, teacher, a.id, "grading")
    await assignments.change_phase(conn, teacher, a.id, "released")
    received = await reviews.reviews_of_submission(conn, x, sub_x.id)
    assert [(r.can_rate, r.reviewer_id) for r in received.items] == [(True, None)]
    assert (await reviews.get_review(conn, x, written.id)).can_rate
    staff_view = await reviews.reviews_of_submission(conn, teacher, sub_x.id)
    assert [(r.can_rate, r.reviewer_id) for r in staff_view.items] == [(False, y.user_id)]
    mine = await grades.list_grades(conn, x, a.id)
    assert [g.can_request_regrade for g in mine.items] == [True]
    assert (await grades.get_grade(conn, x, sub_x.id)).can_request_regrade
    assert not (await grades.get_grade(conn, teacher, sub_x.id)).can_request_regrade
