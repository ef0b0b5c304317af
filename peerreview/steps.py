"""The assessment steps of an assignment and how the grade combines them (issue 13.1).

As in ORA2, each step is optional per assignment: training on calibration examples (counted in
no grade: it calibrates the reviewers), peer review, and self-assessment; staff grades override.
Unlike ORA2, which takes the grade of one step (staff, else peer, else self), the grade here is a
weighted mean of the steps the instructor switched on:

    estimate = share_peer · peer estimate + share_self · self-assessed total
    share_x  = weight_x / (weight_peer + weight_self)   (over the steps switched on)

- The peer estimate is the grading method's (calibrated, median or mean) on the weighted rubric
  total; with peer review on and no estimate yet (no review), there is no grade.
- A learner who did not self-assess gets 0 for that share: the step was part of the assignment.
- Where the assignment gives review quality a share w (peerreview.review_quality), the estimate
  is (1 - w) · the steps' grade + w · the owner's review-quality score / 100 · points possible.
- The late penalty, when the assignment has one, applies to this estimate; a staff override
  replaces the whole grade (pr_grades.final_score).

The same rule runs set-based in SQL (peerreview.queries.self_assessments.update_step_grades);
`combine` is its reference and what the grade page's explanation quotes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class HasSteps(Protocol):
    @property
    def peer_review(self) -> bool: ...
    @property
    def self_assessment(self) -> bool: ...
    @property
    def peer_weight(self) -> float: ...
    @property
    def self_weight(self) -> float: ...


@dataclass(frozen=True)
class Shares:
    """Each step's share of the grade (0 for a step switched off); they add up to 1."""

    peer: float
    self: float

    @property
    def peer_only(self) -> bool:
        """The grade is the peer estimate itself (the default: nothing to combine)."""
        return self.self == 0.0 and self.peer == 1.0


def shares(assignment: HasSteps) -> Shares:
    peer = assignment.peer_weight if assignment.peer_review else 0.0
    own = assignment.self_weight if assignment.self_assessment else 0.0
    total = peer + own
    if total <= 0:  # refused when saving the assignment; read as peer review alone
        return Shares(peer=1.0, self=0.0)
    return Shares(peer=peer / total, self=own / total)


def steps_error(assignment: HasSteps) -> str | None:
    """Why these steps cannot grade anyone, or None."""
    if not assignment.peer_review and not assignment.self_assessment:
        return "switch on peer review or self-assessment: a grade needs one of them"
    peer = assignment.peer_weight if assignment.peer_review else 0.0
    own = assignment.self_weight if assignment.self_assessment else 0.0
    if peer + own <= 0:
        return "give peer review or self-assessment a weight above 0"
    return None


def combine(share: Shares, peer: float | None, self_score: float | None) -> float | None:
    """The steps' grade (see the module docstring); None while the peer estimate it needs is
    missing."""
    if share.peer > 0 and peer is None:
        return None
    return share.peer * (peer or 0.0) + share.self * (self_score or 0.0)
