"""Grading the graders: a review-quality score for each reviewer of an assignment (Moodle
Workshop's "grade for assessment", made better). Pure numpy, like grading.py: the grading run
calls it on the flat arrays it already holds, one row per review, calibration answer or rating.

The score is 0-100, a weighted blend of three components, each between 0 and 1:

- agreement (weight AGREEMENT_WEIGHT = 0.6): how close the reviewer's totals are to the fitted
  grades of the submissions they reviewed (the grading run's estimates). A review counts
  1 - |score - grade| / (TOLERANCE × the rubric's range), at least 0: on the grade, 1; a
  tenth of the range off, 2/3; TOLERANCE (30%) of the range off or more, 0. Workshop compares
  with the mean of the other assessments; the fitted grade is better informed (it corrects
  each grader's bias and weighs each by their reliability), and a careless reviewer who gives
  everything the top score or answers at random lands far from it.
- calibration accuracy (CALIBRATION_WEIGHT = 0.2): the same measure on the calibration examples,
  against the instructor's reference score. Left out (its weight shared by the others) in an
  assignment without calibration answers.
- helpfulness (HELPFULNESS_WEIGHT = 0.2): the authors' ratings of the reviewer's reviews, 1-5
  mapped to 0-1 ((rating - 1) / 4); a review flagged as abusive counts as a rating of 1. Left out
  in an assignment where nobody rated anything.

Each component is the mean over the reviewer's own observations shrunk towards the course mean
of that component with PRIOR_WEIGHT (2) pseudo-observations: (sum + 2 × course mean) / (n + 2).
A reviewer with one review is thus pulled two thirds of the way to the average, one with twelve
hardly at all; a component a reviewer has no observation of (no rating received) is the course
mean. Reviewers with neither a review nor a calibration answer get no score (NaN).

Staff reviews are not scored (they are anchors, not peers). The score can count in the learner's
grade: with an instructor-set share q, grade = (1 - q) × the steps' grade + q × score / 100 ×
points possible (see `blend_grade`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

AGREEMENT_WEIGHT = 0.6
CALIBRATION_WEIGHT = 0.2
HELPFULNESS_WEIGHT = 0.2
# A review (or calibration answer) this share of the rubric's range off, or more, agrees 0.
TOLERANCE = 0.3
# Pseudo-observations at the course mean each component is shrunk with.
PRIOR_WEIGHT = 2.0
RATING_LOW, RATING_HIGH = 1.0, 5.0


@dataclass
class Component:
    """One component per reviewer: the shrunk value (0-1), how many observations it rests on and
    the raw mean of what was observed (points off, or the rating), NaN where there were none."""

    value: Floats
    count: Ints
    raw: Floats
    course_mean: float  # NaN: nobody in the assignment has an observation (component left out)


@dataclass
class ReviewQuality:
    score: Floats  # 0-100 per reviewer, NaN for those with nothing to score
    agreement: Component  # raw: mean absolute distance from the fitted grades, in points
    calibration: Component  # raw: mean absolute distance from the reference scores, in points
    helpfulness: Component  # raw: mean rating received, 1-5


def closeness(given: npt.ArrayLike, reference: npt.ArrayLike, score_range: float) -> Floats:
    """Per observation: 1 on the reference, falling linearly to 0 at TOLERANCE × range off."""
    off = np.abs(np.asarray(given, dtype=np.float64) - np.asarray(reference, dtype=np.float64))
    result: Floats = np.clip(1.0 - off / (TOLERANCE * score_range), 0.0, 1.0)
    return result


def _component(who: Ints, value: Floats, raw: Floats, n: int) -> Component:
    count = np.bincount(who, minlength=n).astype(np.int64)
    if value.size == 0:
        return Component(np.full(n, np.nan), count, np.full(n, np.nan), float("nan"))
    course_mean = float(value.mean())
    total = np.bincount(who, value, minlength=n)
    shrunk: Floats = (total + PRIOR_WEIGHT * course_mean) / (count + PRIOR_WEIGHT)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw_mean: Floats = np.where(count > 0, np.bincount(who, raw, minlength=n) / count, np.nan)
    return Component(shrunk, count, raw_mean, course_mean)


def review_quality(
    n_reviewers: int,
    *,
    lo: float,
    hi: float,
    review_reviewer: npt.ArrayLike,
    review_score: npt.ArrayLike,
    review_grade: npt.ArrayLike,
    calibration_reviewer: npt.ArrayLike = (),
    calibration_score: npt.ArrayLike = (),
    calibration_truth: npt.ArrayLike = (),
    rated_reviewer: npt.ArrayLike = (),
    rating: npt.ArrayLike = (),
) -> ReviewQuality:
    """Scores for reviewers 0..n_reviewers-1 from flat arrays: each peer review (its reviewer,
    its total, the fitted grade of what it reviewed; reviews of ungraded work, NaN grade, are
    skipped), each calibration answer (reviewer, total, reference total) and each rating
    received (reviewer, 1-5)."""
    if hi <= lo:
        raise ValueError("the score range must have hi > lo")
    score_range = hi - lo
    r_who = np.asarray(review_reviewer, dtype=np.int64)
    r_score = np.asarray(review_score, dtype=np.float64)
    r_grade = np.asarray(review_grade, dtype=np.float64)
    graded = np.isfinite(r_grade)
    r_who, r_score, r_grade = r_who[graded], r_score[graded], r_grade[graded]
    c_who = np.asarray(calibration_reviewer, dtype=np.int64)
    c_score = np.asarray(calibration_score, dtype=np.float64)
    c_truth = np.asarray(calibration_truth, dtype=np.float64)
    h_who = np.asarray(rated_reviewer, dtype=np.int64)
    h_rating = np.clip(np.asarray(rating, dtype=np.float64), RATING_LOW, RATING_HIGH)

    agreement = _component(
        r_who, closeness(r_score, r_grade, score_range), np.abs(r_score - r_grade), n_reviewers
    )
    calibration = _component(
        c_who, closeness(c_score, c_truth, score_range), np.abs(c_score - c_truth), n_reviewers
    )
    helpfulness = _component(
        h_who, (h_rating - RATING_LOW) / (RATING_HIGH - RATING_LOW), h_rating, n_reviewers
    )
    total = np.zeros(n_reviewers)
    weight = 0.0
    for component, w in (
        (agreement, AGREEMENT_WEIGHT),
        (calibration, CALIBRATION_WEIGHT),
        (helpfulness, HELPFULNESS_WEIGHT),
    ):
        if np.isfinite(component.course_mean):
            total += w * component.value
            weight += w
    scored = (agreement.count > 0) | (calibration.count > 0)
    score: Floats = np.where(scored & (weight > 0), 100.0 * total / max(weight, 1e-12), np.nan)
    return ReviewQuality(score, agreement, calibration, helpfulness)


def blend_grade(grade: Floats, quality: Floats, points: float, share: float) -> Floats:
    """The grade with the review-quality score counting `share` (0-1) of it: (1 - share) ×
    grade + share × quality / 100 × points. Without a quality score (NaN) the grade stands."""
    if share <= 0:
        return grade
    blended: Floats = np.where(
        np.isfinite(quality), (1.0 - share) * grade + share * quality / 100.0 * points, grade
    )
    return blended
