"""Peer grades from reviews: mean, median (ORA2's rule) and a calibrated grader model.

Pure numpy, no database: the service, the worker job, the `grade-csv` command and the benchmark
all call these functions on flat arrays (one row per review: submission index, grader index,
score), so a course of 160,000 submissions × 4 reviews is a few vector operations per iteration.

The calibrated method is PG1 of Piech et al. 2013 ("Tuned Models of Peer Assessment in MOOCs"):

    observed[u, v] = true[u] + bias[v] + noise,   noise ~ N(0, 1 / reliability[v])

fitted by mean-field variational Bayes (the EM family; every update is closed form). Priors are
fitted from the data themselves (empirical Bayes). Calibration answers are reviews of examples
whose true score is known, so they inform each grader's bias and reliability directly; instructor
scores are anchors (the true score is fixed). A grader who gives one score to everything carries
no information about differences between submissions; PG1 alone would only see a moderate noise,
so such "flat" graders get their reliability capped far below the population's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

METHODS = ("calibrated", "median", "mean")

# A grader whose scores never vary over this many reviews is "flat".
FLAT_MIN_REVIEWS = 3
# A flat grader's reliability is at most this share of the median grader's.
FLAT_RELIABILITY_SHARE = 0.05
# A grader whose reliability is below this share of the median is "suspect" (doubt signal).
SUSPECT_RELIABILITY_SHARE = 0.25
# Doubtful grades: posterior sd or spread of the reviews above these shares of the score range,
# or at least half of the reviewers suspect.
DOUBT_SD_SHARE = 0.06
DOUBT_SPREAD_SHARE = 0.2


@dataclass
class Reviews:
    """One row per review, as integer indexes into 0..n_submissions-1 / 0..n_graders-1."""

    submission: Ints
    grader: Ints
    score: Floats
    n_submissions: int
    n_graders: int

    @classmethod
    def of(
        cls,
        submission: npt.ArrayLike,
        grader: npt.ArrayLike,
        score: npt.ArrayLike,
        n_submissions: int | None = None,
        n_graders: int | None = None,
    ) -> Reviews:
        sub = np.asarray(submission, dtype=np.int64)
        grd = np.asarray(grader, dtype=np.int64)
        scores = np.asarray(score, dtype=np.float64)
        if not (sub.shape == grd.shape == scores.shape) or sub.ndim != 1:
            raise ValueError("submission, grader and score must be 1-d arrays of one length")
        if scores.size and not np.isfinite(scores).all():
            raise ValueError("scores must be finite numbers")
        n_sub = int(sub.max() + 1) if sub.size else 0
        n_grd = int(grd.max() + 1) if grd.size else 0
        return cls(
            sub,
            grd,
            scores,
            max(n_sub, n_submissions or 0),
            max(n_grd, n_graders or 0),
        )


@dataclass
class Grades:
    """Per submission: grade, confidence (posterior sd) and doubt signals; per grader: the fit."""

    grade: Floats  # NaN where a submission has no review and no anchor
    confidence: Floats  # posterior standard deviation, in score units (smaller is surer)
    n_reviews: Ints
    spread: Floats  # standard deviation of the reviews' scores (0 with fewer than 2)
    suspect_share: Floats  # share of the submission's reviewers who are suspect
    doubt: Floats  # one number to sort the instructor queue by (higher is more doubtful)
    doubtful: Bools  # goes to the instructor queue
    bias: Floats  # per grader (0 for median/mean)
    reliability: Floats  # per grader: 1 / noise variance, in score units (NaN: unknown)
    suspect: Bools  # per grader
    iterations: int = 0


# ---- helpers -----------------------------------------------------------------------------------


def _spread(reviews: Reviews) -> tuple[Floats, Floats, Floats]:
    n = np.bincount(reviews.submission, minlength=reviews.n_submissions).astype(np.float64)
    total = np.bincount(reviews.submission, reviews.score, minlength=reviews.n_submissions)
    squares = np.bincount(reviews.submission, reviews.score**2, minlength=reviews.n_submissions)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        variance = np.where(n > 1, (squares - n * mean**2) / np.maximum(n - 1, 1), 0.0)
    return n, mean, np.sqrt(np.clip(variance, 0.0, None))


def _doubt(
    confidence: Floats,
    spread: Floats,
    suspect_share: Floats,
    score_range: float,
) -> tuple[Floats, Bools]:
    sd_share = confidence / score_range
    spread_share = spread / score_range
    doubt = sd_share / DOUBT_SD_SHARE + spread_share / DOUBT_SPREAD_SHARE + 2.0 * suspect_share
    doubt = np.where(np.isfinite(doubt), doubt, np.inf)
    doubtful = (
        (sd_share > DOUBT_SD_SHARE)
        | (spread_share > DOUBT_SPREAD_SHARE)
        | (suspect_share >= 0.5)
        | ~np.isfinite(sd_share)
    )
    return doubt, doubtful


def _standard_error(n: Floats, spread: Floats, score_range: float) -> Floats:
    """Standard error of a mean, its per-submission variance shrunk towards the pooled one."""
    has = n > 1
    pooled = float(np.mean(spread[has] ** 2)) if has.any() else (score_range**2) / 12.0
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = ((n - 1) * spread**2 + 2.0 * pooled) / (n + 1)
        return np.where(n > 0, np.sqrt(variance / n), np.nan)


def _baseline(reviews: Reviews, grade: Floats, lo: float, hi: float) -> Grades:
    n, _, spread = _spread(reviews)
    confidence = _standard_error(n, spread, hi - lo)
    no_suspects = np.zeros(reviews.n_submissions)
    doubt, doubtful = _doubt(confidence, spread, no_suspects, hi - lo)
    return Grades(
        grade=grade,
        confidence=confidence,
        n_reviews=n.astype(np.int64),
        spread=spread,
        suspect_share=no_suspects,
        doubt=doubt,
        doubtful=doubtful,
        bias=np.zeros(reviews.n_graders),
        reliability=np.full(reviews.n_graders, np.nan),
        suspect=np.zeros(reviews.n_graders, dtype=bool),
    )


def _apply_anchors(grades: Grades, anchors: dict[int, float] | None) -> Grades:
    if anchors:
        index = np.fromiter(anchors.keys(), dtype=np.int64, count=len(anchors))
        grades.grade[index] = np.fromiter(anchors.values(), dtype=np.float64, count=len(anchors))
        grades.confidence[index] = 0.0
        grades.doubt[index] = 0.0
        grades.doubtful[index] = False
    return grades


# ---- mean and median -----------------------------------------------------------------------------


def mean_scores(reviews: Reviews) -> Floats:
    n, mean, _ = _spread(reviews)
    return np.where(n > 0, mean, np.nan)


def median_scores(reviews: Reviews) -> Floats:
    """ORA2's median: the middle score, or for an even count the mean of the two middle scores
    rounded up (`math.ceil`, openassessment/assessment/models/base.py `get_median_score`): with
    integer points that is rounding half up, so [2, 3] gives 3 and [2, 4] gives 3."""
    order = np.lexsort((reviews.score, reviews.submission))
    sub = reviews.submission[order]
    score = reviews.score[order]
    n = np.bincount(sub, minlength=reviews.n_submissions)
    start = np.concatenate(([0], np.cumsum(n)[:-1]))
    has = n > 0
    result = np.full(reviews.n_submissions, np.nan)
    low = start[has] + (n[has] - 1) // 2
    high = start[has] + n[has] // 2
    middle = (score[low] + score[high]) / 2.0
    # ceil, but forgiving float noise such as 2.9999999999 from non-integer points
    result[has] = np.where(n[has] % 2 == 1, score[low], np.ceil(np.round(middle, 9)))
    return result


# ---- the calibrated grader model ---------------------------------------------------------------


@dataclass
class Calibration:
    """Calibration answers: grader index, the score given and the example's reference score."""

    grader: Ints
    score: Floats
    truth: Floats

    @classmethod
    def of(cls, grader: npt.ArrayLike, score: npt.ArrayLike, truth: npt.ArrayLike) -> Calibration:
        return cls(
            np.asarray(grader, dtype=np.int64),
            np.asarray(score, dtype=np.float64),
            np.asarray(truth, dtype=np.float64),
        )


def fit_calibrated(
    reviews: Reviews,
    *,
    lo: float,
    hi: float,
    anchors: dict[int, float] | None = None,
    calibration: Calibration | None = None,
    max_iterations: int = 200,
    tolerance: float = 1e-5,
) -> Grades:
    """Fit PG1 by mean-field variational Bayes and return grades with posterior sds.

    `anchors` maps submission index → instructor score (fixed true score). `calibration` adds
    each grader's answers on examples with a reference score: their errors move that grader's
    bias and reliability the way reviews of an anchored submission would.
    """
    if hi <= lo:
        raise ValueError("the score range must have hi > lo")
    scale = hi - lo
    n_sub, n_grd = reviews.n_submissions, reviews.n_graders
    if calibration is not None and calibration.grader.size:
        n_grd = max(n_grd, int(calibration.grader.max()) + 1)
    # Work in units of the score range so that the priors below mean the same for every scale.
    s, g = reviews.submission, reviews.grader
    y = (reviews.score - lo) / scale
    cg: Ints
    c_given: Floats
    c_err: Floats
    if calibration is not None and calibration.grader.size:
        cg, c_given = calibration.grader, calibration.score
        c_err = (calibration.score - calibration.truth) / scale
    else:
        cg, c_given, c_err = np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)

    anchored = np.zeros(n_sub, dtype=bool)
    anchor_value = np.zeros(n_sub)
    if anchors:
        index = np.fromiter(anchors.keys(), dtype=np.int64, count=len(anchors))
        anchored[index] = True
        anchor_value[index] = (np.fromiter(anchors.values(), float, len(anchors)) - lo) / scale

    n_v = np.bincount(g, minlength=n_grd) + np.bincount(cg, minlength=n_grd)
    free_location = not anchored.any() and cg.size == 0
    n_u = np.bincount(s, minlength=n_sub)

    # Flat graders: every score they gave (reviews and calibration) is the same.
    given = np.concatenate([reviews.score, c_given])
    who = np.concatenate([g, cg])
    g_sum = np.bincount(who, given, minlength=n_grd)
    g_sq = np.bincount(who, given**2, minlength=n_grd)
    with np.errstate(invalid="ignore", divide="ignore"):
        g_var = g_sq / np.maximum(n_v, 1) - (g_sum / np.maximum(n_v, 1)) ** 2
    flat = (n_v >= FLAT_MIN_REVIEWS) & (g_var <= 1e-12 * scale**2)

    # Start: the mean of the reviews, no bias, one shared noise level.
    n_f, mean0, _ = _spread(Reviews(s, g, y, n_sub, n_grd))
    m_z = np.where(n_f > 0, np.nan_to_num(mean0, nan=0.5), 0.5)
    m_z = np.where(anchored, anchor_value, m_z)
    v_z = np.where(anchored, 0.0, 0.01)
    m_b = np.zeros(n_grd)
    v_b = np.full(n_grd, 0.01)
    a0 = 2.0  # prior strength on reliability: worth two pseudo-observations
    resid0 = y - m_z[s]
    pooled = float(np.mean(resid0**2)) if y.size else 0.01
    e_tau = np.full(n_grd, 1.0 / max(pooled, 1e-4))
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (reported below)
        # Empirical Bayes hyper-parameters from the current fit.
        free = ~anchored & (n_u > 0)
        mu0 = float(np.mean(m_z[free])) if free.any() else 0.5
        var0 = float(np.mean((m_z[free] - mu0) ** 2 + v_z[free])) if free.any() else 0.04
        gamma0 = 1.0 / max(var0, 1e-4)
        eta = 1.0 / max(float(np.mean(m_b**2 + v_b)), 1e-4) if n_grd else 1.0
        typical_tau = float(np.median(e_tau[n_v > 0])) if (n_v > 0).any() else 100.0
        b0 = a0 / typical_tau

        # q(true score): anchored ones stay fixed.
        w = e_tau[g]
        precision = gamma0 + np.bincount(s, w, minlength=n_sub)
        total = gamma0 * mu0 + np.bincount(s, w * (y - m_b[g]), minlength=n_sub)
        new_m_z = np.where(anchored, anchor_value, total / precision)
        v_z = np.where(anchored, 0.0, 1.0 / precision)

        # q(bias): reviews against the current true scores, calibration against the reference.
        resid_r = y - new_m_z[s]
        precision_b = eta + e_tau * n_v
        m_b = (
            e_tau
            * (np.bincount(g, resid_r, minlength=n_grd) + np.bincount(cg, c_err, minlength=n_grd))
            / precision_b
        )
        v_b = 1.0 / precision_b
        if free_location and n_grd:
            # Without anchors or calibration only differences are identified: put the zero of
            # the bias scale at the mean bias of the reliable graders, not of the careless ones.
            median_tau = float(np.median(e_tau[n_v > 0]))
            reliable = (n_v > 0) & ~flat & (e_tau >= SUSPECT_RELIABILITY_SHARE * median_tau)
            if reliable.any():
                shift = float(np.average(m_b[reliable], weights=n_v[reliable]))
                m_b = m_b - shift
                new_m_z = np.where(anchored, anchor_value, new_m_z + shift)

        # q(reliability): Gamma(a0 + n/2, b0 + expected squared residual / 2).
        sq = (resid_r - m_b[g]) ** 2 + v_z[s] + v_b[g]
        sq_c = (c_err - m_b[cg]) ** 2 + v_b[cg]
        rate = (
            b0
            + 0.5 * np.bincount(g, sq, minlength=n_grd)
            + 0.5 * np.bincount(cg, sq_c, minlength=n_grd)
        )
        e_tau = (a0 + 0.5 * n_v) / rate
        if flat.any():
            cap = FLAT_RELIABILITY_SHARE * float(
                np.median(e_tau[(n_v > 0) & ~flat] if ((n_v > 0) & ~flat).any() else e_tau)
            )
            e_tau = np.where(flat, np.minimum(e_tau, cap), e_tau)

        change = float(np.max(np.abs(new_m_z - m_z))) if n_sub else 0.0
        m_z = new_m_z
        if change < tolerance:
            break

    has_data = (n_u > 0) | anchored
    grade = np.where(has_data, np.clip(lo + scale * m_z, lo, hi), np.nan)
    confidence = np.where(has_data, scale * np.sqrt(v_z), np.nan)
    reliability = np.where(n_v > 0, e_tau / scale**2, np.nan)
    median_tau = float(np.median(e_tau[n_v > 0])) if (n_v > 0).any() else 0.0
    suspect = flat | ((n_v > 0) & (e_tau < SUSPECT_RELIABILITY_SHARE * median_tau))
    n_rev, _, spread = _spread(reviews)
    with np.errstate(invalid="ignore", divide="ignore"):
        suspect_share = np.where(
            n_u > 0, np.bincount(s, suspect[g].astype(float), minlength=n_sub) / n_u, 0.0
        )
    doubt, doubtful = _doubt(confidence, spread, suspect_share, scale)
    grades = Grades(
        grade=grade,
        confidence=confidence,
        n_reviews=n_rev.astype(np.int64),
        spread=spread,
        suspect_share=suspect_share,
        doubt=doubt,
        doubtful=doubtful,
        bias=scale * m_b,
        reliability=reliability,
        suspect=suspect,
        iterations=iterations,
    )
    return _apply_anchors(grades, anchors)


def grade(
    reviews: Reviews,
    method: str,
    *,
    lo: float,
    hi: float,
    anchors: dict[int, float] | None = None,
    calibration: Calibration | None = None,
) -> Grades:
    """Grades by `method` (calibrated, median or mean); anchors always win."""
    if method == "calibrated":
        return fit_calibrated(reviews, lo=lo, hi=hi, anchors=anchors, calibration=calibration)
    if method == "median":
        return _apply_anchors(_baseline(reviews, median_scores(reviews), lo, hi), anchors)
    if method == "mean":
        return _apply_anchors(_baseline(reviews, mean_scores(reviews), lo, hi), anchors)
    raise ValueError(f"unknown grading method {method!r}; use one of {', '.join(METHODS)}")


def accuracy(estimate: Floats, truth: Floats, score_range: float) -> tuple[float, float]:
    """RMSE and the share of estimates within 5% of the score range of the truth."""
    ok = np.isfinite(estimate) & np.isfinite(truth)
    if not ok.any():
        return math.nan, math.nan
    error = estimate[ok] - truth[ok]
    return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error) <= 0.05 * score_range))
