"""Synthetic peer-review courses drawn from the PG1 model, for tests and the benchmark.

True scores, grader biases and reliabilities are drawn as in Piech et al. 2013; observed scores
are rounded to whole points and clipped to the scale, as a rubric would. A share of careless
graders either gives everything the top score or answers at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from peerreview.allocation import allocate_individual
from peerreview.grading import Calibration, Reviews


@dataclass
class Course:
    reviews: Reviews
    truth: np.ndarray  # true score per submission
    bias: np.ndarray  # true bias per grader
    careless: np.ndarray  # bool per grader
    calibration: Calibration
    lo: float
    hi: float


def pg1_course(
    n: int,
    k: int = 4,
    *,
    seed: int = 0,
    hi: float = 20.0,
    true_sd: float = 3.0,
    bias_sd: float = 1.5,
    noise_sd: float = 1.5,
    careless_share: float = 0.0,
    calibration_examples: int = 0,
) -> Course:
    rng = np.random.default_rng(seed)
    allocation = allocate_individual(n, k, seed)
    sub, grader = allocation.submission, allocation.reviewer
    truth = np.clip(rng.normal(0.65 * hi, true_sd, n), 0, hi)
    bias = rng.normal(0.0, bias_sd, n)
    # Reliability (precision) ~ Gamma with mean 1 / noise_sd²; some graders much noisier.
    tau = rng.gamma(shape=3.0, scale=1.0 / (3.0 * noise_sd**2), size=n)

    def observe(true_scores: np.ndarray, graders: np.ndarray) -> np.ndarray:
        noise = rng.normal(0.0, 1.0, graders.size) / np.sqrt(tau[graders])
        observed: np.ndarray = np.clip(np.round(true_scores + bias[graders] + noise), 0, hi)
        return observed

    score = observe(truth[sub], grader)
    careless = rng.random(n) < careless_share
    top = careless & (rng.random(n) < 0.5)
    random = careless & ~top
    score = np.where(top[grader], hi, score)
    score = np.where(random[grader], rng.integers(0, int(hi) + 1, grader.size), score)

    if calibration_examples:
        examples = np.clip(rng.normal(0.65 * hi, true_sd, calibration_examples), 0, hi).round()
        c_grader = np.repeat(np.arange(n), calibration_examples)
        c_truth = np.tile(examples, n)
        c_score = observe(c_truth, c_grader)
        c_score = np.where(top[c_grader], hi, c_score)
        c_score = np.where(random[c_grader], rng.integers(0, int(hi) + 1, c_grader.size), c_score)
        calibration = Calibration.of(c_grader, c_score, c_truth)
    else:
        calibration = Calibration.of([], [], [])
    return Course(Reviews.of(sub, grader, score, n, n), truth, bias, careless, calibration, 0.0, hi)
