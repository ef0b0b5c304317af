"""peerreview.rules: who may do what in which phase, as pure decisions (no database)."""

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from agora.sessions import Principal
from peerreview import rules
from peerreview.queries.assignments import Assignment

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
LEARNER = Principal(user_id=10, course_id=1, role="learner")
OTHER = Principal(user_id=11, course_id=1, role="learner")
TA = Principal(user_id=2, course_id=1, role="ta")
INSTRUCTOR = Principal(user_id=1, course_id=1, role="instructor")


def assignment(**fields) -> Assignment:
    base = Assignment(
        id=1, course_id=1, title="Essay", prompt="", prompt_html="", rubric=[],
        points_possible=10.0, reviews_per_submission=2, reviews_required=2,
        calibration_required=1, phase="submission", submission_deadline=None,
        review_deadline=None, allocation_mode="batch", grading_method="calibrated",
        team_submissions=False, lease_seconds=3600, extra_reviews=2, allocation_seed=None,
        allocated_at=None, graded_at=None, released_at=None, created_by=1, created_at=NOW,
        updated_at=NOW,
    )  # fmt: skip
    return msgspec.structs.replace(base, **fields)


def test_drafts_exist_for_staff_only():
    draft = assignment(phase="draft")
    assert not rules.can_see_assignment(LEARNER, draft)
    assert rules.can_see_assignment(TA, draft) and rules.can_see_assignment(INSTRUCTOR, draft)
    assert rules.can_see_assignment(LEARNER, assignment(phase="review"))


def test_instructors_manage_and_staff_supervise():
    assert rules.can_manage_assignment(INSTRUCTOR) and not rules.can_manage_assignment(TA)
    assert rules.can_supervise(TA) and rules.can_supervise(INSTRUCTOR)
    assert not rules.can_supervise(LEARNER) and not rules.can_override(LEARNER)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"phase": "submission"}, True),
        ({"phase": "draft"}, False),
        ({"phase": "review"}, False),  # batch: closed once reviewing starts
        ({"phase": "review", "allocation_mode": "dynamic"}, True),  # late submitters join
        ({"phase": "grading", "allocation_mode": "dynamic"}, False),
        ({"submission_deadline": NOW - timedelta(seconds=1)}, False),
        ({"submission_deadline": NOW + timedelta(hours=1)}, True),
        ({"allocated_at": NOW}, False),  # batch pairs already drawn
        ({"allocated_at": NOW, "allocation_mode": "dynamic"}, True),
    ],
)
def test_learners_submit_while_submissions_are_open(fields, expected):
    a = assignment(**fields)
    assert rules.can_submit(LEARNER, a, NOW) is expected
    assert not rules.can_submit(INSTRUCTOR, a, NOW)


def test_settings_and_teams_are_fixed_once_reviewing_starts():
    assert not rules.settings_fixed(assignment(phase="submission"))
    assert rules.settings_fixed(assignment(phase="review"))
    assert rules.settings_fixed(assignment(phase="submission", allocated_at=NOW))
    assert rules.teams_fixed(assignment(allocated_at=NOW))
    assert not rules.teams_fixed(assignment(phase="review"))


def test_release_needs_a_grading_run():
    assert not rules.can_release(assignment(phase="grading"))
    assert rules.can_release(assignment(phase="grading", graded_at=NOW))


def test_instructors_are_offered_the_next_phase_and_release_only_once_graded():
    assert rules.next_phase(INSTRUCTOR, assignment(phase="draft")) == "submission"
    assert rules.next_phase(INSTRUCTOR, assignment(phase="review")) == "grading"
    assert rules.next_phase(INSTRUCTOR, assignment(phase="grading")) is None
    assert rules.next_phase(INSTRUCTOR, assignment(phase="grading", graded_at=NOW)) == "released"
    assert rules.next_phase(INSTRUCTOR, assignment(phase="released", graded_at=NOW)) is None
    assert rules.next_phase(TA, assignment(phase="review")) is None


def test_submission_access_owner_teammate_reviewer_or_nothing():
    def access(viewer, **kw):
        defaults = {
            "author_id": 10,
            "team": None,
            "viewer_team": None,
            "allocated_to_viewer": False,
        }
        return rules.submission_access(viewer, **(defaults | kw))

    assert access(TA) == "staff"
    assert access(LEARNER) == "owner"
    assert access(OTHER, team="red", viewer_team="red") == "owner"
    assert access(OTHER, team="red", viewer_team="blue") is None
    assert access(OTHER, allocated_to_viewer=True) == "reviewer"
    assert access(OTHER) is None
    assert rules.can_see_author("owner") and not rules.can_see_author("reviewer")
    assert rules.can_see_source("owner") and not rules.can_see_source("staff")


def test_never_review_own_or_a_teammates_work():
    assert not rules.may_review_work(10, None, author_id=10, team=None, author_team=None)
    assert rules.may_review_work(11, None, author_id=10, team="red", author_team=None)
    assert not rules.may_review_work(11, "red", author_id=10, team="red", author_team=None)
    assert not rules.may_review_work(11, "red", author_id=10, team=None, author_team="red")
    assert rules.may_review_work(11, "blue", author_id=10, team=None, author_team="red")


def test_calibration_is_for_learners_between_draft_and_release():
    for phase, open_ in [("draft", False), ("submission", True), ("review", True),
                         ("grading", True), ("released", False)]:  # fmt: skip
        a = assignment(phase=phase)
        assert rules.can_calibrate(LEARNER, a) is open_
        assert not rules.can_calibrate(TA, a)
    assert rules.calibration_required(assignment(calibration_required=3), 2) == 2


def test_reviewing_is_for_learners_in_the_review_phase_until_its_deadline():
    a = assignment(phase="review")
    assert rules.can_review(LEARNER, a, NOW) and not rules.can_review(TA, a, NOW)
    assert not rules.can_review(LEARNER, assignment(phase="grading"), NOW)
    late = assignment(phase="review", review_deadline=NOW)
    assert not rules.can_review(LEARNER, late, NOW)
    assert rules.batch_pending(a) and not rules.batch_pending(assignment(allocated_at=NOW))
    assert not rules.batch_pending(assignment(allocation_mode="dynamic"))


def test_batch_allocation_and_grading_runs_are_asked_by_instructors_in_their_phases():
    assert rules.can_allocate(INSTRUCTOR, assignment(phase="review"))
    assert not rules.can_allocate(TA, assignment(phase="review"))
    assert not rules.can_allocate(INSTRUCTOR, assignment(phase="grading"))
    assert not rules.can_allocate(INSTRUCTOR, assignment(allocation_mode="dynamic"))
    assert rules.can_run_grading(INSTRUCTOR, assignment(phase="grading"))
    assert not rules.can_run_grading(INSTRUCTOR, assignment(phase="submission"))
    assert not rules.can_run_grading(TA, assignment(phase="review"))


def test_review_access_and_anonymity():
    def access(viewer, phase="review", submission_access=None):
        return rules.review_access(
            viewer, reviewer_id=11, phase=phase, submission_access=submission_access
        )

    assert access(TA) == "staff"
    assert access(OTHER) == "reviewer"
    assert access(LEARNER, submission_access="owner") is None  # not before release
    assert access(LEARNER, "released", "owner") == "author"
    assert rules.can_rate_review("author") and not rules.can_rate_review("reviewer")
    assert rules.can_see_reviewer_identity(TA, 11) and rules.can_see_reviewer_identity(OTHER, 11)
    assert not rules.can_see_reviewer_identity(LEARNER, 11)
    assert rules.can_see_reviews_of("owner", assignment(phase="released"))
    assert not rules.can_see_reviews_of("owner", assignment(phase="grading"))
    assert not rules.can_see_reviews_of("reviewer", assignment(phase="released"))


def test_grades_and_regrades():
    assert rules.can_see_grade("staff", released=False)
    assert not rules.can_see_grade("owner", released=False)
    assert rules.can_see_grade("owner", released=True)
    assert not rules.can_see_grade("reviewer", released=True)
    assert rules.can_request_regrade("owner", assignment(phase="released"))
    assert not rules.can_request_regrade("owner", assignment(phase="grading"))
    assert not rules.can_request_regrade("staff", assignment(phase="released"))


def test_whoever_may_override_a_grade_answers_regrade_requests():
    for viewer in (INSTRUCTOR, TA, LEARNER):
        assert rules.can_answer_regrade(viewer) == rules.can_override(viewer)
    assert rules.can_answer_regrade(TA) and not rules.can_answer_regrade(LEARNER)
