"""Peer-review services, one module per sub-domain (the same names as peerreview/queries/):
assignments, submissions, calibration, allocations, reviews, grades, regrades, passback, and
common helpers. Who may do what is decided in peerreview.rules.

TRANSITIONAL re-exports: removed when peerreview/http and peerreview/pages import the new modules.
"""

from __future__ import annotations

from peerreview.service.allocations import (
    allocate_batch,
    assign_manually,
    cancel_allocation,
    next_review,
    request_batch_allocation,
    waiting,
)
from peerreview.service.assignments import (
    assignment_read,
    change_phase,
    create_assignment,
    get_assignment,
    list_assignments,
    set_teams,
    update_assignment,
)
from peerreview.service.calibration import (
    add_example,
    answer_calibration,
    calibration_state,
    example_read,
)
from peerreview.service.common import (
    MAX_LIMIT,
    check_comments,
    load_assignment,
    now,
    owner_key,
    require_instructor,
    require_staff,
    rubric_points,
    score_choices,
)
from peerreview.service.grades import (
    get_grade,
    grade_read,
    list_grades,
    override_grade,
    request_grading,
    run_grading,
)
from peerreview.service.passback import PASSBACK_PAGE, passback, passback_status, resource_id
from peerreview.service.regrades import list_regrades, request_regrade
from peerreview.service.reviews import (
    create_review,
    get_review,
    review_feedback,
    review_read,
    reviews_of_submission,
    staff_score,
    update_review,
)
from peerreview.service.submissions import (
    get_submission,
    list_submissions,
    submission_read,
    submit,
)

MAX_PAGE = MAX_LIMIT

__all__ = [
    "MAX_PAGE",
    "PASSBACK_PAGE",
    "add_example",
    "allocate_batch",
    "answer_calibration",
    "assign_manually",
    "assignment_read",
    "calibration_state",
    "cancel_allocation",
    "change_phase",
    "check_comments",
    "create_assignment",
    "create_review",
    "example_read",
    "get_assignment",
    "get_grade",
    "get_review",
    "get_submission",
    "grade_read",
    "list_assignments",
    "list_grades",
    "list_regrades",
    "list_submissions",
    "load_assignment",
    "next_review",
    "now",
    "override_grade",
    "owner_key",
    "passback",
    "passback_status",
    "request_batch_allocation",
    "request_grading",
    "request_regrade",
    "require_instructor",
    "require_staff",
    "resource_id",
    "review_feedback",
    "review_read",
    "reviews_of_submission",
    "rubric_points",
    "run_grading",
    "score_choices",
    "set_teams",
    "staff_score",
    "submission_read",
    "submit",
    "update_assignment",
    "update_review",
    "waiting",
]
