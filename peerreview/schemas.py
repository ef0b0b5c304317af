"""Request and response Structs of the peer-review API (bases, Id and Page from agora.schemas).

Outputs carry the viewer's permissions as `can_…` flags, decided by peerreview.rules, so pages and
templates ask the same rules the services enforce."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from agora.schemas import Id, Input, Output, Page

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Prompt = Annotated[str, msgspec.Meta(max_length=50_000)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=100_000)]
Comment = Annotated[str, msgspec.Meta(max_length=20_000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Points = Annotated[float, msgspec.Meta(ge=0, le=1000)]
Phase = Literal["draft", "submission", "review", "grading", "released"]
AllocationMode = Literal["batch", "dynamic"]
Method = Literal["calibrated", "median", "mean"]
TeamName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
StepWeight = Annotated[float, msgspec.Meta(ge=0, le=100)]
PHASES: tuple[str, ...] = ("draft", "submission", "review", "grading", "released")


# ---- rubric and assignments -----------------------------------------------------------------


class Option(Input, kw_only=True):
    label: Label
    points: Points


class Criterion(Input, kw_only=True):
    """A scored criterion has 2 to 10 options; a comment-only one has none, no score, and never
    counts in the grade. A criterion's points count `weight` times in the total."""

    name: Label
    options: Annotated[list[Option], msgspec.Meta(max_length=10)] = []
    description: Annotated[str, msgspec.Meta(max_length=2_000)] = ""
    comments: bool = False  # ask reviewers for a comment on this criterion
    comment_only: bool = False
    comment_required: bool = False  # a review (or self-assessment) must comment on it
    weight: Annotated[float, msgspec.Meta(gt=0, le=100)] = 1.0


Rubric = Annotated[list[Criterion], msgspec.Meta(min_length=1, max_length=20)]


class AssignmentCreate(Input, kw_only=True):
    title: Title
    prompt: Prompt = ""
    rubric: Rubric
    reviews_per_submission: Annotated[int, msgspec.Meta(ge=1, le=20)] = 4
    reviews_required: Annotated[int, msgspec.Meta(ge=0, le=50)] | None = None
    calibration_required: Annotated[int, msgspec.Meta(ge=0, le=20)] = 0
    submission_deadline: datetime | None = None
    review_deadline: datetime | None = None
    allocation_mode: AllocationMode = "batch"
    grading_method: Method = "calibrated"
    team_submissions: bool = False
    lease_seconds: Annotated[int, msgspec.Meta(ge=60, le=604_800)] = 3600
    extra_reviews: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    # the steps (ORA2's): peer review and self-assessment, each weighted in the grade
    peer_review: bool = True
    self_assessment: bool = False
    peer_weight: StepWeight = 1.0
    self_weight: StepWeight = 0.0
    # the reviewer's review-quality score's share of their grade, in percent (0: none)
    review_quality_weight: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.0


class AssignmentUpdate(Input, kw_only=True):
    title: Title | None = None
    prompt: Prompt | None = None
    rubric: Rubric | None = None
    reviews_per_submission: Annotated[int, msgspec.Meta(ge=1, le=20)] | None = None
    reviews_required: Annotated[int, msgspec.Meta(ge=0, le=50)] | None = None
    calibration_required: Annotated[int, msgspec.Meta(ge=0, le=20)] | None = None
    submission_deadline: datetime | None = None
    review_deadline: datetime | None = None
    allocation_mode: AllocationMode | None = None
    grading_method: Method | None = None
    lease_seconds: Annotated[int, msgspec.Meta(ge=60, le=604_800)] | None = None
    extra_reviews: Annotated[int, msgspec.Meta(ge=0, le=10)] | None = None
    peer_review: bool | None = None
    self_assessment: bool | None = None
    peer_weight: StepWeight | None = None
    self_weight: StepWeight | None = None
    review_quality_weight: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    team_submissions: bool | None = None  # only while the assignment is a draft


class PhaseChange(Input, kw_only=True):
    phase: Phase


class OptionRead(Output, kw_only=True):
    label: str
    points: float


class CriterionRead(Output, kw_only=True):
    name: str
    description: str
    comments: bool
    options: list[OptionRead]
    comment_only: bool = False
    comment_required: bool = False
    weight: float = 1.0


class AssignmentRead(Output, kw_only=True):
    id: int
    course_id: int
    title: str
    prompt: str
    prompt_html: str
    rubric: list[CriterionRead]
    points_possible: float
    reviews_per_submission: int
    reviews_required: int
    calibration_required: int
    phase: Phase
    submission_deadline: datetime | None
    review_deadline: datetime | None
    allocation_mode: AllocationMode
    grading_method: Method
    team_submissions: bool
    lease_seconds: int
    extra_reviews: int
    allocation_seed: int | None
    allocated_at: datetime | None
    graded_at: datetime | None
    released_at: datetime | None
    created_at: datetime
    updated_at: datetime
    # what the viewer may do now (peerreview.rules), for pages and clients
    can_manage: bool  # edit, move the phase, teams, calibration examples (instructors)
    can_supervise: bool  # dashboard, waiting list, staff scores, overrides, regrades (staff)
    can_submit: bool  # now, for this viewer: their extension, grace and late work count
    can_calibrate: bool
    can_review: bool
    can_allocate: bool  # ask for batch allocation now
    can_run_grading: bool  # ask for a grading run now
    next_phase: str | None  # the phase an instructor may move to now (None: none)
    peer_review: bool = True
    self_assessment: bool = False
    peer_weight: float = 1.0
    self_weight: float = 0.0
    can_self_assess: bool = False
    review_quality_weight: float = 0.0  # percent of the grade


class AssignmentList(Page[AssignmentRead]):
    pass


class Teams(Input, kw_only=True):
    """Team name → member user ids (replaces the assignment's teams)."""

    teams: Annotated[dict[TeamName, list[Id]], msgspec.Meta(max_length=100_000)]


# ---- submissions ----------------------------------------------------------------------------


class SubmissionWrite(Input, kw_only=True):
    body: Body


class SubmissionRead(Output, kw_only=True):
    id: int
    assignment_id: int
    author_id: int | None  # hidden (None) from learners other than the owner
    team: str | None
    body_html: str
    body: str | None  # the Markdown source, for its owner to edit
    reviews_done: int
    created_at: datetime
    updated_at: datetime
    attachments: list[SubmissionAttachmentRead] = []  # on pages; the API lists them apart


class SubmissionList(Page[SubmissionRead]):
    pass


# ---- calibration ------------------------------------------------------------------------------


Choices = Annotated[list[Annotated[int, msgspec.Meta(ge=0, le=9)]], msgspec.Meta(max_length=20)]


class ExampleCreate(Input, kw_only=True):
    body: Body
    choices: Choices
    explanation: Comment = ""


class ExampleRead(Output, kw_only=True):
    id: int
    body_html: str
    # reference answer: shown to staff, and to a learner once they have scored this example
    choices: list[int] | None
    scores: list[float] | None
    total: float | None
    explanation: str | None


class CalibrationAnswer(Input, kw_only=True):
    example_id: Id
    choices: Choices


class CalibrationResult(Output, kw_only=True):
    example: ExampleRead
    your_choices: list[int]
    your_total: float
    error: float  # your total minus the reference total


class CalibrationState(Output, kw_only=True):
    required: int
    done: int
    complete: bool
    next_example: ExampleRead | None
    examples: list[ExampleRead]  # staff: all with references; learners: the ones they scored
    # learners: mean signed error over their answers (their bias on the examples)
    mean_error: float | None


# ---- allocation and reviews ---------------------------------------------------------------------


class ReviewTask(Output, kw_only=True):
    """What `reviews/next` hands out: a submission to review, or why there is none."""

    available: bool
    reason: str = ""
    allocation_id: int | None = None
    submission: SubmissionRead | None = None
    lease_expires_at: datetime | None = None
    reviews_done: int = 0
    reviews_required: int = 0


class ManualAllocation(Input, kw_only=True):
    reviewer_id: Id
    submission_id: Id


class AllocationRead(Output, kw_only=True):
    id: int
    assignment_id: int
    submission_id: int
    reviewer_id: int
    source: str
    state: str
    lease_expires_at: datetime | None
    created_at: datetime


class AllocationRun(Output, kw_only=True):
    assignment_id: int
    seed: int
    allocations: int
    repaired: int


class ReviewCreate(Input, kw_only=True):
    allocation_id: Id
    choices: Choices
    criterion_comments: Annotated[list[Comment], msgspec.Meta(max_length=20)] = []
    comment: Comment = ""


class StaffScore(Input, kw_only=True):
    choices: Choices
    comment: Comment = ""


class ReviewUpdate(Input, kw_only=True):
    choices: Choices | None = None
    criterion_comments: Annotated[list[Comment], msgspec.Meta(max_length=20)] | None = None
    comment: Comment | None = None


class Helpfulness(Input, kw_only=True):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]


class AbuseFlag(Input, kw_only=True):
    reason: Reason


class Person(Output, kw_only=True):
    """A course member as staff see them: the name and email the LMS gave at launch or in the
    roster ("" where it gave none). Never sent to learners about anyone else."""

    id: int
    name: str
    email: str


class ReviewRead(Output, kw_only=True):
    id: int
    assignment_id: int
    submission_id: int
    reviewer_id: int | None  # hidden from the author (reviews are anonymous to learners)
    by_staff: bool
    choices: list[int]
    scores: list[float]
    total: float
    criterion_comments: list[str]
    comment_html: str
    helpfulness: int | None
    flagged: bool
    created_at: datetime
    can_rate: bool  # the viewer is the reviewed work's author: may rate or flag it
    reviewer: Person | None = None  # staff (and the reviewer) only, like reviewer_id


class ReviewList(Page[ReviewRead]):
    pass


class Waiting(Output, kw_only=True):
    submission_id: int
    author_id: int
    team: str | None
    reviews_done: int
    review_load: int
    waiting_since: datetime
    author: Person | None = None


class WaitingList(Page[Waiting]):
    pass


# ---- grades -----------------------------------------------------------------------------------


class GradeRead(Output, kw_only=True):
    id: int  # the submission id
    assignment_id: int
    estimate: float | None
    criteria: list[float]
    confidence: float | None
    method: str
    n_reviews: int
    spread: float
    doubt: float
    doubtful: bool
    override_score: float | None
    override_reason: str
    final_score: float | None
    points_possible: float
    released: bool
    computed_at: datetime
    can_request_regrade: bool
    author: Person | None = None  # staff only: who submitted it
    # the steps' parts of `estimate` (peerreview.steps): the peer model's estimate and the
    # learner's self-assessed total (None: that step gave nothing)
    peer_estimate: float | None = None
    self_score: float | None = None
    # the fraction of the grade lost to lateness (0 when on time or overridden; issue 13.3)
    late_penalty: float = 0.0


class GradeList(Page[GradeRead]):
    pass


class Override(Input, kw_only=True):
    score: Annotated[float, msgspec.Meta(ge=0)] | None  # None clears the override
    reason: Reason


class RegradeCreate(Input, kw_only=True):
    reason: Reason


class RegradeAnswer(Input, kw_only=True):
    """Staff answer a regrade request: accept with the new score (set as the grade override) or
    reject; the reason is shown to the learner either way."""

    decision: Literal["accept", "reject"]
    reason: Reason
    score: Annotated[float, msgspec.Meta(ge=0)] | None = None  # required to accept


class RegradeRead(Output, kw_only=True):
    id: int
    submission_id: int
    requester_id: int | None
    reason: str
    state: str  # open, accepted, rejected, or resolved (settled by a plain override)
    response: str  # the staff's answer
    created_at: datetime
    new_score: float | None = None  # the score an accepted request set
    resolved_at: datetime | None = None
    requester: Person | None = None  # staff only


class RegradeList(Page[RegradeRead]):
    pass


class GradingRun(Output, kw_only=True):
    assignment_id: int
    method: str
    graded: int
    doubtful: int


class PassbackRow(Output, kw_only=True):
    user_id: int
    status: str  # pending, sent, failed, no_endpoint (the LTI context's states)
    score_given: float | None = None
    attempts: int = 0
    detail: str = ""
    name: str = ""
    email: str = ""


class PassbackStatus(Output, kw_only=True):
    resource_id: str
    items: list[PassbackRow]
    next_cursor: str | None = None


# ---- deadlines, late work, extensions, reminders (peerreview.service.deadlines/extensions) ----

Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
ReminderKind = Literal["submission", "review"]


class ScheduleWrite(Input, kw_only=True):
    """When the worker opens the assignment and releases its grades (the submission and review
    deadlines are the assignment's own), and the late-work policy."""

    opens_at: datetime | None = None
    release_at: datetime | None = None
    grace_minutes: Annotated[int, msgspec.Meta(ge=0, le=10_080)] = 0
    accept_late: bool = False  # late work (past due + grace) accepted, with the penalty
    penalty_per_day: Percent = 0  # percent of the grade per started day late
    penalty_max: Percent = 100
    remind_hours: Annotated[int, msgspec.Meta(ge=0, le=336)] = 24  # 0: no reminders


class Switch(Output, kw_only=True):
    phase: Phase  # the phase the assignment moves to
    at: datetime | None  # when (None: no time set, moved by hand)
    done: bool
    waiting: str = ""  # why a due switch has not happened yet


class ScheduleRead(Output, kw_only=True):
    assignment_id: int
    phase: Phase
    opens_at: datetime | None
    submission_deadline: datetime | None
    review_deadline: datetime | None
    release_at: datetime | None
    grace_minutes: int
    accept_late: bool
    penalty_per_day: float
    penalty_max: float
    remind_hours: int
    switches: list[Switch]
    next_switch: Switch | None


class DeadlineRun(Output, kw_only=True):
    switched: list[str]  # "<assignment id>:<phase>" for each switch made
    reminders: int


class ExtensionWrite(Input, kw_only=True):
    user_id: Id
    due_at: datetime
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ExtensionRead(Output, kw_only=True):
    assignment_id: int
    user_id: int
    due_at: datetime
    reason: str
    granted_at: datetime
    learner: Person | None = None


class ExtensionList(Output, kw_only=True):
    items: list[ExtensionRead]


class LateStatus(Output, kw_only=True):
    """A learner's own due date, whether they may still submit, and what lateness costs."""

    assignment_id: int
    due_at: datetime | None  # their extension, else the submission deadline
    extended: bool
    extension_reason: str
    grace_minutes: int
    accept_late: bool  # work later than due + grace is taken (with the penalty) until reviews end
    closes_at: datetime | None  # the last moment they may submit (None: open while the phase is)
    can_submit: bool
    open_late: bool  # they may submit only by their extension or the late-work policy
    submitted_at: datetime | None
    late_minutes: int  # past due, 0 if on time or within grace
    penalty_percent: float  # what it costs (the penalty per day, capped)
    penalty_per_day: float
    penalty_max: float


class ReminderRead(Output, kw_only=True):
    id: int
    assignment_id: int
    title: str
    kind: ReminderKind
    due_at: datetime
    created_at: datetime
    read: bool


class ReminderList(Output, kw_only=True):
    items: list[ReminderRead]


# ---- self-assessment ----------------------------------------------------------------------------


class SelfAssessmentWrite(Input, kw_only=True):
    """The learner scores their own submission on the rubric (one choice per criterion; a
    comment-only criterion takes 0)."""

    choices: Choices
    criterion_comments: Annotated[list[Comment], msgspec.Meta(max_length=20)] = []
    comment: Comment = ""


class SelfAssessmentRead(Output, kw_only=True):
    submission_id: int
    assignment_id: int
    choices: list[int]
    scores: list[float]
    total: float
    criterion_comments: list[str]
    comment: str
    comment_html: str
    created_at: datetime
    updated_at: datetime
    can_edit: bool  # the owner, while self-assessment is open


class RemindersRead(Input, kw_only=True):
    ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=100)]


# ---- review quality (grading the graders) ------------------------------------------------------


class ReviewFeedbackRead(Output, kw_only=True):
    """One of the reviewer's reviews with what its author said of it (never who the author is)."""

    review_id: int
    total: float
    helpfulness: int | None  # the author's rating, 1-5 (None: not rated)
    flagged: bool  # reported as abusive (it counts in no grade)
    created_at: datetime


class ReviewQualityRead(Output, kw_only=True):
    """A reviewer's review-quality score and its parts (peerreview.review_quality): each part
    0-1 after shrinkage towards the course mean (None: left out of this assignment), with the
    observations it rests on and their raw mean."""

    assignment_id: int
    user_id: int
    score: float | None  # 0-100; None: nothing to score (no review, no calibration answer)
    weight: float  # the score's share of the grade, in percent (0: it does not count)
    points: float | None  # what it adds to the grade: weight × score × points possible
    agreement: float | None
    n_reviews: int
    mean_deviation: float | None  # points off the fitted grades, on average
    calibration: float | None
    n_calibration: int
    calibration_deviation: float | None  # points off the reference scores, on average
    helpfulness: float | None
    n_rated: int
    mean_rating: float | None  # 1-5
    tolerance_points: float  # a review this many points off the grade or more agrees 0
    feedback: list[ReviewFeedbackRead]  # the reviewer's reviews and the ratings they received


class ReviewerQualityRow(Output, kw_only=True):
    """One reviewer in staff's list of review quality: the score and its parts as in
    ReviewQualityRead, with who they are."""

    user_id: int
    name: str = ""
    email: str = ""
    score: float  # 0-100
    agreement: float | None
    n_reviews: int
    mean_deviation: float | None
    calibration: float | None
    n_calibration: int
    calibration_deviation: float | None
    helpfulness: float | None
    n_rated: int
    mean_rating: float | None


class ReviewerQualityPage(Output, kw_only=True):
    """Every scored reviewer of an assignment, worst first, a page at a time."""

    weight: float  # the score's share of the grade, in percent (0: it does not count)
    tolerance_points: float  # a review this many points off the grade or more agrees 0
    items: list[ReviewerQualityRow]
    next_cursor: str | None = None


class SubmissionAttachmentRead(Output, kw_only=True):
    """A file on a submission. No uploader: reviews are blind."""

    id: int
    submission_id: int
    filename: str
    content_type: str  # as detected from the content
    size_bytes: int
    is_image: bool
    url: str  # a signed link for this viewer, valid for hours
    created_at: datetime


class SubmissionAttachmentList(Output, kw_only=True):
    items: list[SubmissionAttachmentRead]
