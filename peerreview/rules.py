"""Who may do what in peer review, and in which phase: every such decision as a small pure function.

In the spirit of Discourse's guardian (`can_see_post?`, `can_edit_post?`): the services ask these
and raise the matching error; the outputs carry the viewer's answers as `can_…` flags
(AssignmentRead, ReviewRead, GradeRead) so pages and templates ask the same rules. Nothing here
reads the database: callers pass what a decision needs (the assignment row, the viewer's access to
a submission, the time).

Phases only move forward: draft → submission → review → grading → released.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from agora.sessions import Principal
from peerreview.queries.assignments import Assignment
from peerreview.schemas import PHASES

# How a viewer relates to a submission: staff see everything, the owner (author or teammate) sees
# their own work, a reviewer sees work allocated to them (and nothing of its author).
SubmissionAccess = Literal["staff", "owner", "reviewer"]
# How a viewer relates to a review: staff, the reviewer who wrote it, or the reviewed work's author.
ReviewAccess = Literal["staff", "reviewer", "author"]


def past(deadline: datetime | None, at: datetime) -> bool:
    return deadline is not None and deadline <= at


# ---- assignments --------------------------------------------------------------------------------


def can_see_assignment(viewer: Principal, assignment: Assignment) -> bool:
    """Drafts exist for staff only."""
    return assignment.phase != "draft" or viewer.is_staff


def can_manage_assignment(viewer: Principal) -> bool:
    """Create and edit assignments, move phases, set teams, add calibration examples, ask for
    allocation and grading runs: instructors only."""
    return viewer.is_instructor


def can_supervise(viewer: Principal) -> bool:
    """The staff's views and actions: all submissions, the waiting queue, manual allocation,
    staff scores, grade overrides, regrade requests, passback status (instructors and TAs)."""
    return viewer.is_staff


def settings_fixed(assignment: Assignment) -> bool:
    """The rubric, k and the allocation mode are fixed once reviewing starts."""
    return assignment.phase not in ("draft", "submission") or assignment.allocated_at is not None


def teams_fixed(assignment: Assignment) -> bool:
    return assignment.allocated_at is not None


def can_release(assignment: Assignment) -> bool:
    """Grades are released only once a grading run has produced them."""
    return assignment.graded_at is not None


def next_phase(viewer: Principal, assignment: Assignment) -> str | None:
    """The phase an instructor may move the assignment to now: phases only advance, and the
    release waits for grades."""
    if not can_manage_assignment(viewer) or assignment.phase == PHASES[-1]:
        return None
    following = PHASES[PHASES.index(assignment.phase) + 1]
    if following == "released" and not can_release(assignment):
        return None
    return following


# ---- submissions --------------------------------------------------------------------------------


def submission_phases(assignment: Assignment) -> tuple[str, ...]:
    """Self-paced (dynamic) assignments keep accepting work while reviewing, so late submitters
    join the pool; batch ones stop when reviewing starts."""
    if assignment.allocation_mode == "dynamic":
        return ("submission", "review")
    return ("submission",)


def submissions_open(assignment: Assignment, at: datetime) -> bool:
    return assignment.phase in submission_phases(assignment) and not past(
        assignment.submission_deadline, at
    )


def batch_allocated(assignment: Assignment) -> bool:
    """Batch pairs are drawn once: after that, no submission may join (or leave) the pool."""
    return assignment.allocation_mode == "batch" and assignment.allocated_at is not None


def can_submit(viewer: Principal, assignment: Assignment, at: datetime) -> bool:
    """Learners submit (staff add calibration examples instead) while submissions are open."""
    return (
        not viewer.is_staff and submissions_open(assignment, at) and not batch_allocated(assignment)
    )


def submission_access(
    viewer: Principal,
    *,
    author_id: int,
    team: str | None,
    viewer_team: str | None,
    allocated_to_viewer: bool,
) -> SubmissionAccess | None:
    """The viewer's access to a submission (`team` is the submission's, `viewer_team` the
    viewer's in that assignment), or None: the submission does not exist for them."""
    if viewer.is_staff:
        return "staff"
    if author_id == viewer.user_id or (team is not None and viewer_team == team):
        return "owner"
    if allocated_to_viewer:
        return "reviewer"
    return None


def can_see_author(access: SubmissionAccess) -> bool:
    """Reviews are blind: a reviewer never learns whose work it is."""
    return access in ("staff", "owner")


def can_see_source(access: SubmissionAccess) -> bool:
    """The Markdown source is for its owner to edit."""
    return access == "owner"


def may_review_work(
    reviewer_id: int,
    reviewer_team: str | None,
    *,
    author_id: int,
    team: str | None,
    author_team: str | None,
) -> bool:
    """Learners never review their own or a teammate's work (`team` is the submission's team,
    `author_team` the author's team when the submission itself has none)."""
    if author_id == reviewer_id:
        return False
    if reviewer_team is None:
        return True
    return reviewer_team != team and reviewer_team != author_team


# ---- calibration --------------------------------------------------------------------------------


def calibration_open(assignment: Assignment) -> bool:
    return assignment.phase not in ("draft", "released")


def can_calibrate(viewer: Principal, assignment: Assignment) -> bool:
    """Calibration is for learners, from the submission phase until grades are released."""
    return not viewer.is_staff and calibration_open(assignment)


def calibration_required(assignment: Assignment, examples: int) -> int:
    """Examples a learner must score before reviewing (never more than exist)."""
    return min(assignment.calibration_required, examples)


# ---- allocation and reviews ---------------------------------------------------------------------


def reviewing_open(assignment: Assignment, at: datetime) -> bool:
    """Peer reviews are written, and edited, during the review phase until its deadline, where
    the assignment has a peer-review step."""
    return (
        assignment.peer_review
        and assignment.phase == "review"
        and not past(assignment.review_deadline, at)
    )


def can_review(viewer: Principal, assignment: Assignment, at: datetime) -> bool:
    """Staff score submissions directly; peer reviews are for learners, where the assignment
    has a peer-review step."""
    return not viewer.is_staff and assignment.peer_review and reviewing_open(assignment, at)


def batch_pending(assignment: Assignment) -> bool:
    """A batch assignment not yet allocated: leasing now would race the batch job."""
    return assignment.allocation_mode == "batch" and assignment.allocated_at is None


def allocation_phase(assignment: Assignment) -> bool:
    """Batch allocation runs once submissions are in (submission or review phase)."""
    return assignment.phase in ("submission", "review")


def can_allocate(viewer: Principal, assignment: Assignment) -> bool:
    return (
        can_manage_assignment(viewer)
        and assignment.peer_review
        and assignment.allocation_mode == "batch"
        and allocation_phase(assignment)
    )


def review_access(
    viewer: Principal,
    *,
    reviewer_id: int,
    phase: str,
    submission_access: SubmissionAccess | None,
) -> ReviewAccess | None:
    """The viewer's access to a review, or None: it does not exist for them. Authors read the
    reviews of their work once grades are released."""
    if viewer.is_staff:
        return "staff"
    if reviewer_id == viewer.user_id:
        return "reviewer"
    if phase == "released" and submission_access == "owner":
        return "author"
    return None


def can_see_reviews_of(access: SubmissionAccess, assignment: Assignment) -> bool:
    """The reviews of a submission: staff always, the owner once grades are released."""
    return access == "staff" or (access == "owner" and assignment.phase == "released")


def can_see_reviewer_identity(viewer: Principal, reviewer_id: int) -> bool:
    """Reviews are anonymous to the reviewed: only staff and the reviewer see who wrote one."""
    return viewer.is_staff or viewer.user_id == reviewer_id


def can_rate_review(access: ReviewAccess | None) -> bool:
    """Only the reviewed work's author rates a review's helpfulness or flags it as abusive."""
    return access == "author"


def can_edit_review(viewer: Principal, reviewer_id: int) -> bool:
    return viewer.user_id == reviewer_id


# ---- self-assessment ----------------------------------------------------------------------------


def self_assessment_open(assignment: Assignment, at: datetime) -> bool:
    """A learner assesses their own submission once it is in, while submitting or reviewing is
    on (until the review deadline, or the submission deadline when there is none): the grading
    run then reads it."""
    if not assignment.self_assessment or assignment.phase not in ("submission", "review"):
        return False
    deadline = assignment.review_deadline or (
        assignment.submission_deadline if assignment.phase == "submission" else None
    )
    return not past(deadline, at)


def can_self_assess(viewer: Principal, assignment: Assignment, at: datetime) -> bool:
    """Learners (and their teammates, for team work) self-assess; staff never do."""
    return not viewer.is_staff and self_assessment_open(assignment, at)


def can_see_self_assessment(access: SubmissionAccess | None) -> bool:
    """A self-assessment is for its submission's owner and staff; reviewers never see it."""
    return access in ("staff", "owner")


# ---- grades -------------------------------------------------------------------------------------


def can_run_grading(viewer: Principal, assignment: Assignment) -> bool:
    return can_manage_assignment(viewer) and grading_phase(assignment)


def grading_phase(assignment: Assignment) -> bool:
    """Grading runs during the review phase (a preview) and the grading phase."""
    return assignment.phase in ("review", "grading")


def can_see_grade(access: SubmissionAccess | None, *, released: bool) -> bool:
    """Staff see every grade; the owner sees theirs once released; reviewers never."""
    return access == "staff" or (access == "owner" and released)


def can_see_review_quality(viewer: Principal, assignment: Assignment, user_id: int) -> bool:
    """A reviewer sees their own review-quality score (and the ratings their reviews received)
    once grades are released; staff see any learner's."""
    if can_supervise(viewer):
        return True
    return viewer.user_id == user_id and assignment.phase == "released"


def can_override(viewer: Principal) -> bool:
    return can_supervise(viewer)


def can_request_regrade(access: SubmissionAccess | None, assignment: Assignment) -> bool:
    """The author (or a teammate) asks for a regrade once grades are released."""
    return access == "owner" and assignment.phase == "released"


def can_answer_regrade(viewer: Principal) -> bool:
    """Accepting a regrade sets a grade override, so whoever may override answers: instructors
    and TAs (can_override)."""
    return can_override(viewer)
