import numpy as np
import pytest

from peerreview.grading import (
    Calibration,
    Reviews,
    accuracy,
    grade,
    median_scores,
)
from peerreview.synthetic import pg1_course


def test_median_follows_ora2_rounding_half_up():
    reviews = Reviews.of(
        [0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3],
        [0, 1, 0, 1, 2, 0, 1, 2, 3, 0, 1],
        [2, 3, 1, 5, 2, 1, 2, 3, 9, 2, 4],
    )
    assert median_scores(reviews).tolist() == [3.0, 2.0, 3.0, 3.0]


def test_median_and_mean_leave_unreviewed_submissions_without_grade():
    reviews = Reviews.of([0, 0], [1, 2], [4, 6], n_submissions=2)
    for method in ("median", "mean"):
        result = grade(reviews, method, lo=0, hi=10)
        assert result.grade[0] == 5.0
        assert np.isnan(result.grade[1])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_calibrated_beats_median_and_mean_on_pg1_data_and_recovers_biases(seed):
    course = pg1_course(3000, 4, seed=seed)
    results = {
        m: accuracy(grade(course.reviews, m, lo=0, hi=20).grade, course.truth, 20)
        for m in ("calibrated", "median", "mean")
    }
    assert results["calibrated"][0] < results["mean"][0] < results["median"][0]
    assert results["calibrated"][1] > results["mean"][1]
    fit = grade(course.reviews, "calibrated", lo=0, hi=20)
    assert np.corrcoef(fit.bias, course.bias)[0, 1] > 0.7


def test_calibration_answers_sharpen_bias_estimates():
    course = pg1_course(2000, 4, seed=7, calibration_examples=4)
    without = grade(course.reviews, "calibrated", lo=0, hi=20)
    with_calibration = grade(
        course.reviews, "calibrated", lo=0, hi=20, calibration=course.calibration
    )
    assert np.corrcoef(with_calibration.bias, course.bias)[0, 1] > (
        np.corrcoef(without.bias, course.bias)[0, 1] + 0.03
    )
    rmse_without, _ = accuracy(without.grade, course.truth, 20)
    rmse_with, _ = accuracy(with_calibration.grade, course.truth, 20)
    assert rmse_with < rmse_without


def test_careless_graders_lose_reliability_and_calibrated_still_wins():
    course = pg1_course(4000, 4, seed=11, careless_share=0.15)
    fit = grade(course.reviews, "calibrated", lo=0, hi=20)
    careless = course.careless
    assert np.median(fit.reliability[careless]) < 0.3 * np.median(fit.reliability[~careless])
    assert fit.suspect[careless].mean() > 0.8
    assert fit.suspect[~careless].mean() < 0.15
    rmse = {
        m: accuracy(grade(course.reviews, m, lo=0, hi=20).grade, course.truth, 20)[0]
        for m in ("calibrated", "median", "mean")
    }
    assert rmse["calibrated"] < 0.75 * min(rmse["median"], rmse["mean"])


def test_a_grader_who_gives_one_score_to_everything_is_flagged_and_ignored():
    # 30 submissions, 4 honest graders agree with the truth; grader 4 gives 10 to everything
    truth = np.linspace(2, 9, 30)
    subs, graders, scores = [], [], []
    for u in range(30):
        for v in (u % 4, (u + 1) % 4):
            subs.append(u)
            graders.append(v)
            scores.append(round(truth[u]))
        subs.append(u)
        graders.append(4)
        scores.append(10)
    fit = grade(Reviews.of(subs, graders, scores), "calibrated", lo=0, hi=10)
    assert fit.suspect[4] and not fit.suspect[:4].any()
    assert np.max(np.abs(fit.grade - truth)) < 0.8


def test_instructor_anchors_fix_grades_and_inform_the_fit():
    course = pg1_course(500, 4, seed=3)
    anchors = {i: float(course.truth[i]) for i in range(0, 500, 10)}
    fit = grade(course.reviews, "calibrated", lo=0, hi=20, anchors=anchors)
    for i, value in anchors.items():
        assert fit.grade[i] == value and fit.confidence[i] == 0.0 and not fit.doubtful[i]
    for method in ("median", "mean"):
        assert grade(course.reviews, method, lo=0, hi=20, anchors=anchors).grade[10] == anchors[10]


def test_confidence_tracks_actual_error():
    course = pg1_course(4000, 4, seed=5)
    fit = grade(course.reviews, "calibrated", lo=0, hi=20)
    error = np.abs(fit.grade - course.truth)
    surest = fit.confidence <= np.quantile(fit.confidence, 0.25)
    least = fit.confidence >= np.quantile(fit.confidence, 0.75)
    assert error[surest].mean() < error[least].mean()
    # the posterior sd is roughly calibrated: most errors fall within two of them
    assert np.mean(error <= 2 * fit.confidence + 0.5) > 0.85


def test_doubtful_grades_are_those_with_disagreement():
    reviews = Reviews.of([0, 0, 0, 1, 1, 1], [0, 1, 2, 1, 2, 0], [10, 10, 10, 0, 20, 10])
    for method in ("median", "mean", "calibrated"):
        fit = grade(reviews, method, lo=0, hi=20)
        assert fit.doubt[1] > fit.doubt[0]
        assert fit.doubtful[1]


def test_calibration_of_graders_without_reviews_is_accepted():
    reviews = Reviews.of([0, 1], [0, 0], [5, 6])
    calibration = Calibration.of([0, 1, 1], [5, 7, 7], [4, 5, 5])
    fit = grade(reviews, "calibrated", lo=0, hi=10, calibration=calibration)
    assert fit.bias.size == 2 and np.isfinite(fit.grade).all()


def test_unknown_method_and_bad_scores_are_refused():
    reviews = Reviews.of([0], [0], [1])
    with pytest.raises(ValueError):
        grade(reviews, "mode", lo=0, hi=10)
    with pytest.raises(ValueError):
        Reviews.of([0], [0], [float("nan")])
