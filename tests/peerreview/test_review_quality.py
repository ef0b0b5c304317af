"""Grading the graders (peerreview.review_quality): on synthetic courses with known careless
graders, honest reviewers score higher; the parts behave as the module docstring says."""

import numpy as np
import pytest

from peerreview.grading import grade
from peerreview.review_quality import (
    AGREEMENT_WEIGHT,
    TOLERANCE,
    blend_grade,
    closeness,
    review_quality,
)
from peerreview.synthetic import pg1_course


def scored(course, *, calibration=True, ratings=None):
    fit = grade(course.reviews, "calibrated", lo=0, hi=20,
                calibration=course.calibration if calibration else None)  # fmt: skip
    r, c = course.reviews, course.calibration
    extra = {}
    if calibration:
        extra = dict(calibration_reviewer=c.grader, calibration_score=c.score,
                     calibration_truth=c.truth)  # fmt: skip
    if ratings is not None:
        extra |= dict(rated_reviewer=r.grader, rating=ratings)
    return review_quality(
        r.n_graders, lo=0, hi=20, review_reviewer=r.grader, review_score=r.score,
        review_grade=fit.grade[r.submission], **extra,
    )  # fmt: skip


@pytest.mark.parametrize("seed", [11, 12])
def test_honest_reviewers_score_above_careless_ones(seed):
    course = pg1_course(600, 4, seed=seed, careless_share=0.2, calibration_examples=2)
    quality = scored(course)
    honest, careless = quality.score[~course.careless], quality.score[course.careless]
    assert np.isfinite(quality.score).all() and (quality.score >= 0).all()
    assert (quality.score <= 100).all()
    assert np.median(honest) > np.median(careless) + 20
    # nearly every honest reviewer outranks nearly every careless one (AUC)
    assert (honest[:, None] > careless[None, :]).mean() > 0.95


def test_without_calibration_agreement_alone_still_ranks_them():
    course = pg1_course(600, 4, seed=13, careless_share=0.2)
    quality = scored(course, calibration=False)
    assert np.isnan(quality.calibration.course_mean)  # left out, its weight shared
    assert np.isnan(quality.helpfulness.course_mean)
    # agreement is then the whole score
    np.testing.assert_allclose(quality.score, 100 * quality.agreement.value)
    honest, careless = quality.score[~course.careless], quality.score[course.careless]
    assert (honest[:, None] > careless[None, :]).mean() > 0.9


def test_helpful_reviews_raise_the_score():
    course = pg1_course(200, 4, seed=14)
    ratings = np.where(course.reviews.grader % 2 == 0, 5, 2)  # even reviewers rated helpful
    plain, rated = scored(course, calibration=False), scored(course, calibration=False,
                                                             ratings=ratings)  # fmt: skip
    even = np.arange(course.reviews.n_graders) % 2 == 0
    gain = rated.score - plain.score
    assert gain[even].min() > gain[~even].max()
    np.testing.assert_allclose(rated.helpfulness.raw[even], 5.0)
    assert rated.helpfulness.count.tolist() == [4] * course.reviews.n_graders


def test_a_reviewer_with_few_reviews_is_pulled_towards_the_course_mean():
    # Reviewers 0-9 review ten submissions each, on the grade; reviewer 10 reviews one,
    # reviewer 11 ten, both 30% of the range off (agreement 0 for each review).
    grades = np.full(100, 10.0)
    who = np.repeat(np.arange(10), 10)
    score = grades.copy()
    who = np.concatenate([who, [10], np.full(10, 11)])
    score = np.concatenate([score, [16.0], np.full(10, 16.0)])
    grades = np.concatenate([grades, [10.0], np.full(10, 10.0)])
    quality = review_quality(12, lo=0, hi=20, review_reviewer=who, review_score=score,
                             review_grade=grades)  # fmt: skip
    course_mean = quality.agreement.course_mean
    assert quality.score[10] > quality.score[11]  # one miss says less than ten
    assert quality.score[10] == pytest.approx(100 * 2 * course_mean / 3)
    assert quality.agreement.raw[11] == pytest.approx(6.0)  # points off, before shrinking
    assert quality.score[:10].min() > quality.score[10]


def test_reviewers_with_nothing_to_score_get_none_and_ungraded_work_is_skipped():
    quality = review_quality(3, lo=0, hi=10, review_reviewer=[0, 1], review_score=[5, 5],
                             review_grade=[5, np.nan], rated_reviewer=[2], rating=[5])  # fmt: skip
    assert np.isfinite(quality.score[0])
    assert np.isnan(quality.score[1]) and np.isnan(quality.score[2])


def test_closeness_falls_to_zero_at_the_tolerance():
    assert closeness([10, 12, 16, 20], [10, 10, 10, 10], 20).tolist() == pytest.approx(
        [1.0, 1 - 2 / (TOLERANCE * 20), 0.0, 0.0]
    )
    assert AGREEMENT_WEIGHT == 0.6


def test_the_share_moves_the_grade_towards_the_review_quality_points():
    grades = np.array([6.0, 6.0, 6.0])
    quality = np.array([100.0, 0.0, np.nan])
    assert blend_grade(grades, quality, 10, 0.0).tolist() == [6.0, 6.0, 6.0]
    assert blend_grade(grades, quality, 10, 0.2).tolist() == pytest.approx([6.8, 4.8, 6.0])
