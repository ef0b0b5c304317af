import numpy as np
import pytest

from peerreview.grading import (
    Z90,
    Calibration,
    Reviews,
    accuracy,
    grade,
    median_scores,
    reconcile_parts,
    round_parts,
    score_variance,
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


def test_doubt_is_relative_to_the_assignment_not_the_default():
    # the demo's shape: four learners each review two others on a 0-10 rubric and mostly agree;
    # every grade has about the same uncertainty, so none stands out as one to look at
    demo = Reviews.of([0, 0, 1, 1, 2, 2, 3, 3], [1, 2, 2, 3, 3, 0, 0, 1], [6, 6, 8, 6, 4, 4, 10, 8])
    for method in ("calibrated", "median", "mean"):
        assert not grade(demo, method, lo=0, hi=10).doubtful.any()


def test_a_grade_much_less_certain_than_the_assignment_is_doubtful_and_sorted_by_error():
    # 60 submissions with four concordant reviews, except submission 0 with a single one
    rng = np.random.default_rng(4)
    truth = rng.uniform(3, 9, 60)
    subs, graders, scores = [], [], []
    for u in range(60):
        for j in range(1, 2 if u == 0 else 5):
            subs.append(u)
            graders.append((u + j) % 60)
            scores.append(float(np.clip(round(truth[u] + rng.normal(0, 0.8)), 0, 10)))
    reviews = Reviews.of(subs, graders, scores)
    for method in ("calibrated", "median", "mean"):
        fit = grade(reviews, method, lo=0, hi=10)
        assert fit.doubtful[0] and fit.doubtful[1:].mean() < 0.05
        # the queue's key is an expected absolute error: sd·√(2/π) at least
        assert np.all(fit.doubt >= fit.confidence * np.sqrt(2 / np.pi) - 1e-12)
    for method in ("median", "mean"):
        fit = grade(reviews, method, lo=0, hi=10)
        assert np.argmax(fit.doubt) == 0


def test_baseline_intervals_take_students_t_quantile():
    # four reviews: the shrunk variance has 3 + 4 degrees of freedom, t(7) 95% = 1.895
    reviews = Reviews.of([0] * 4 + [1] * 4, [0, 1, 2, 3] * 2, [4, 6, 5, 7, 5, 5, 6, 6])
    fit = grade(reviews, "mean", lo=0, hi=10)
    spread = np.array([np.std([4, 6, 5, 7], ddof=1), np.std([5, 5, 6, 6], ddof=1)])
    pooled = np.mean(spread**2)
    se = np.sqrt((3 * spread**2 + 4 * pooled) / 7 / 4)
    assert fit.confidence * Z90 == pytest.approx(se * 1.894579, rel=2e-3)
    median = grade(reviews, "median", lo=0, hi=10)
    assert median.confidence == pytest.approx(fit.confidence * np.sqrt(1.193))


def exact_score_variance(subs, graders, tau, gamma0, eta):
    n, m = max(subs) + 1, max(graders) + 1
    precision = np.zeros((n + m, n + m))
    precision[np.arange(n), np.arange(n)] = gamma0
    precision[n + np.arange(m), n + np.arange(m)] = eta
    for u, v in zip(subs, graders, strict=True):
        for i, j in ((u, u), (n + v, n + v), (u, n + v), (n + v, u)):
            precision[i, j] += tau[v]
    return np.diag(np.linalg.inv(precision))[:n]


def test_score_variance_integrates_the_biases_out():
    # small: the diagonal of the inverse joint precision itself; mean field (1 / (prior +
    # Σ reliabilities)) treats the biases as known and is far too sure
    subs, graders = [0, 0, 1, 2, 2, 3], [0, 1, 1, 1, 2, 2]
    tau = np.array([2.0, 0.5, 1.0])
    none = (np.zeros(4, bool), np.zeros(3, np.int64))
    variance = score_variance(np.array(subs), np.array(graders), tau, *none, gamma0=0.2, eta=0.7)
    exact = exact_score_variance(subs, graders, tau, 0.2, 0.7)
    assert variance == pytest.approx(exact, rel=1e-9)
    assert np.all(1 / (0.2 + np.bincount(subs, tau[graders])) < 0.9 * exact)


def test_score_variance_of_a_large_course_matches_the_exact_one_on_average():
    # 900 submissions and graders: above the dense limit, so belief propagation scaled by the
    # probed trace; the cyclic-shift allocation's short cycles alone would leave it ~10% short
    course = pg1_course(900, 4, seed=9)
    s, g = course.reviews.submission, course.reviews.grader
    tau = np.random.default_rng(9).gamma(3.0, 1 / 6.75, 900)
    none = (np.zeros(900, bool), np.zeros(900, np.int64))
    variance = score_variance(s, g, tau, *none, gamma0=0.1, eta=0.4)
    exact = exact_score_variance(s.tolist(), g.tolist(), tau, 0.1, 0.4)
    assert np.mean(np.sqrt(variance / exact)) == pytest.approx(1.0, abs=0.03)


def test_criteria_are_reconciled_with_the_total_within_their_range():
    total = np.array([7.3, 10.0])
    parts = np.array([[4.0, 3.0], [6.0, 3.5]])
    variance = np.array([[1.0, 3.0], [1.0, 1.0]])
    result = reconcile_parts(total, parts, variance, np.array([0.0, 0.0]), np.array([6.0, 4.0]))
    # the less certain criterion takes three quarters of the gap; a full one passes it on
    assert result[0] == pytest.approx([4.075, 3.225])
    assert result[1] == pytest.approx([6.0, 4.0])
    assert round_parts(7.25, [4.075, 3.175]) == [4.1, 3.1]
    assert round_parts(5.0, [2.5, 2.5]) == [2.5, 2.5]


def test_a_course_graded_entirely_by_staff_is_certain_and_not_doubtful():
    # every true score anchored: nothing left to estimate (and above the dense-inverse size)
    course = pg1_course(1000, 4, seed=1)
    anchors = {i: float(course.truth[i]) for i in range(1000)}
    fit = grade(course.reviews, "calibrated", lo=0, hi=20, anchors=anchors)
    assert (fit.confidence == 0).all() and not fit.doubtful.any()
