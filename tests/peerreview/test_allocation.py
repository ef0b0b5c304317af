import numpy as np
import pytest

from peerreview.allocation import AllocationError, allocate_individual, allocate_teams


def assert_valid(alloc, k, reviewer_group, submission_group, n_reviewers, n_submissions):
    reviewer, submission = alloc.reviewer, alloc.submission
    assert np.all(np.bincount(reviewer, minlength=n_reviewers) == k)
    per_submission = np.bincount(submission, minlength=n_submissions)
    assert per_submission.max() - per_submission.min() <= 1
    assert per_submission.sum() == n_reviewers * k
    assert not np.any(reviewer_group[reviewer] == submission_group[submission])
    pairs = set(zip(reviewer.tolist(), submission.tolist(), strict=True))
    assert len(pairs) == reviewer.size


@pytest.mark.parametrize("seed", range(40))
def test_individual_allocation_gives_exactly_k_each_way_without_self_or_repeat(seed):
    rng = np.random.default_rng(1000 + seed)
    k = int(rng.integers(1, 7))
    n = int(rng.integers(k + 1, 400))
    alloc = allocate_individual(n, k, seed)
    ids = np.arange(n)
    assert_valid(alloc, k, ids, ids, n, n)
    assert np.all(np.bincount(alloc.submission, minlength=n) == k)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8])
def test_n_equal_k_plus_one_means_everyone_reviews_everyone_else(k):
    alloc = allocate_individual(k + 1, k, seed=k)
    pairs = set(zip(alloc.reviewer.tolist(), alloc.submission.tolist(), strict=True))
    assert pairs == {(r, s) for r in range(k + 1) for s in range(k + 1) if r != s}


@pytest.mark.parametrize("seed", range(40))
def test_teammates_never_review_each_other_and_counts_stay_exact(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    n = int(rng.integers(4 * (k + 1), 500))
    team_size = int(rng.integers(2, 6))
    groups = rng.permutation(np.arange(n) // team_size)
    alloc = allocate_individual(n, k, seed, groups=groups)
    assert_valid(alloc, k, groups, groups, n, n)
    assert np.all(np.bincount(alloc.submission, minlength=n) == k)


def test_teams_in_a_small_course_still_find_a_valid_allocation():
    # 6 learners in 3 pairs, k = 4: each learner may review exactly the 4 non-teammates
    groups = np.array([0, 0, 1, 1, 2, 2])
    for seed in range(50):
        alloc = allocate_individual(6, 4, seed, groups=groups)
        assert_valid(alloc, 4, groups, groups, 6, 6)


@pytest.mark.parametrize("seed", range(30))
def test_team_submissions_are_reviewed_by_other_teams_members_evenly(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 5))
    teams = int(rng.integers(k + 2, 120))
    reviewer_team = np.sort(rng.integers(0, teams, teams * 3))
    reviewer_team[:teams] = np.arange(teams)  # every team has someone
    alloc = allocate_teams(reviewer_team, teams, k, seed)
    assert_valid(alloc, k, reviewer_team, np.arange(teams), reviewer_team.size, teams)


def test_same_seed_gives_same_allocation_for_audit():
    a = allocate_individual(300, 4, seed=42)
    b = allocate_individual(300, 4, seed=42)
    assert np.array_equal(a.reviewer, b.reviewer) and np.array_equal(a.submission, b.submission)
    c = allocate_individual(300, 4, seed=43)
    assert not np.array_equal(a.submission, c.submission)


def test_impossible_requests_are_refused():
    with pytest.raises(AllocationError):
        allocate_individual(4, 4, seed=1)
    with pytest.raises(AllocationError):
        # one group of 6 out of 8: its members cannot find 3 outside submissions
        allocate_individual(8, 3, seed=1, groups=np.array([0, 0, 0, 0, 0, 0, 1, 2]))


def test_large_allocation_is_valid():
    n, k = 20_000, 4
    groups = np.random.default_rng(5).permutation(np.arange(n) // 3)
    alloc = allocate_individual(n, k, seed=5, groups=groups)
    assert_valid(alloc, k, groups, groups, n, n)
