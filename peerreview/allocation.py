"""Batch allocation of reviewers to submissions, vectorised.

Two shapes, one rule set (exactly k reviews per reviewer, balanced reviews per submission, never
one's own or a teammate's submission, never the same pair twice):

- individual submissions (reviewer i wrote submission i; `groups` optionally marks LMS groups
  whose members must not review each other): a random permutation and the cyclic shifts 1..k give
  every submission exactly k reviewers and every reviewer exactly k submissions, with no self
  review and no repeated pair by construction (k ≤ n-1, so n = k+1 works: everyone reviews
  everyone else).
- team submissions (one per team, reviewed by individual learners): reviewer slots are laid out
  over a permutation of the submissions so each reviewer gets k consecutive, distinct ones and
  each submission gets ⌊mk/n⌋ or ⌈mk/n⌉ reviews.

Shifts know nothing about teams, so a teammate may land in a reviewer's window. A repair step then
swaps the conflicting slot's submission with another slot's, which keeps every count exact, only
when neither side gains a teammate or a repeated pair. Conflicts are few (about k per team member
in a random order), so the repair loop is short even at 160,000 submissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# Group labels are only compared for equality and sorted, so any dtype will do.
Labels = npt.NDArray[Any]
# [(reviewer, submission it takes, reviewer giving it up or None), ...], first step first.
Path = list[tuple[int, int, int | None]]


class AllocationError(ValueError):
    """The constraints cannot be met (too few submissions, or one group is too large)."""


@dataclass
class Allocation:
    reviewer: npt.NDArray[np.int64]  # reviewer index per review slot
    submission: npt.NDArray[np.int64]  # submission index per review slot
    seed: int
    repaired: int  # how many conflicting slots the repair step moved


def allocate_individual(
    n: int, k: int, seed: int, groups: npt.ArrayLike | None = None
) -> Allocation:
    """Reviewer i wrote submission i. Returns n*k (reviewer, submission) pairs."""
    if k < 1:
        raise AllocationError("k must be at least 1")
    if n < k + 1:
        raise AllocationError(f"{n} submissions cannot get {k} reviews each without self-review")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    positions = np.arange(n)
    shifts = np.arange(1, k + 1)
    reviewer = np.repeat(order, k)
    submission = order[(np.repeat(positions, k) + np.tile(shifts, n)) % n]
    group = np.arange(n) if groups is None else np.asarray(groups)
    if groups is not None:
        _check_groups(group, group, k)
    repaired = _repair(reviewer, submission, group, group, rng)
    return Allocation(reviewer, submission, seed, repaired)


def allocate_teams(
    reviewer_team: npt.ArrayLike, n_submissions: int, k: int, seed: int
) -> Allocation:
    """Submission t is team t's; reviewer r belongs to team reviewer_team[r]."""
    team = np.asarray(reviewer_team, dtype=np.int64)
    m = team.size
    if k < 1:
        raise AllocationError("k must be at least 1")
    if n_submissions < k + 1:
        raise AllocationError(f"{n_submissions} team submissions are too few for k = {k}")
    sub_team = np.arange(n_submissions)
    _check_groups(team, sub_team, k)
    rng = np.random.default_rng(seed)
    reviewers = rng.permutation(m)
    subs = rng.permutation(n_submissions)
    slots = np.arange(m * k)
    reviewer = np.repeat(reviewers, k)
    # Reviewer j's k slots are k consecutive submissions in the permuted order: distinct (k < n),
    # and the stride spreads reviews evenly over the submissions.
    submission = subs[slots % n_submissions]
    repaired = _repair(reviewer, submission, team, sub_team, rng)
    return Allocation(reviewer, submission, seed, repaired)


def _check_groups(reviewer_group: Labels, submission_group: Labels, k: int) -> None:
    """Every reviewer needs k submissions outside their group, and every group's submissions need
    reviewers outside it: with individual submissions no group may hold more than half."""
    _, sub_counts = np.unique(submission_group, return_counts=True)
    n = submission_group.size
    if n - sub_counts.max() < k:
        raise AllocationError("a group is too large: its members cannot find k other submissions")
    values, rev_counts = np.unique(reviewer_group, return_counts=True)
    sub_values, sub_counts = np.unique(submission_group, return_counts=True)
    where = np.clip(np.searchsorted(sub_values, values), 0, sub_values.size - 1)
    subs_in = np.where(sub_values[where] == values, sub_counts[where], 0)
    m = reviewer_group.size
    # the reviews a group's submissions need vs what reviewers outside it can give
    if np.any(subs_in * (m * k / n) > (m - rev_counts) * k + 1e-9):
        raise AllocationError("a group is too large for its submissions to be reviewed")


def _repair(
    reviewer: npt.NDArray[np.int64],
    submission: npt.NDArray[np.int64],
    reviewer_group: Labels,
    submission_group: Labels,
    rng: np.random.Generator,
    *,
    candidates: int = 64,
    max_rounds: int = 20,
) -> int:
    """Swap submissions between slots until no slot has a teammate or a repeated pair; whatever
    random swaps cannot fix (tight small courses) is fixed exactly by augmenting paths."""
    moved = 0
    slots = reviewer.size
    for _ in range(max_rounds):
        bad = _conflicts(reviewer, submission, reviewer_group, submission_group)
        if bad.size == 0:
            return moved
        pairs: dict[tuple[int, int], int] = {}
        for pair in zip(reviewer.tolist(), submission.tolist(), strict=True):
            pairs[pair] = pairs.get(pair, 0) + 1
        for t in bad.tolist():
            r, s = int(reviewer[t]), int(submission[t])
            if reviewer_group[r] != submission_group[s] and pairs[(r, s)] == 1:
                continue  # an earlier swap already fixed it
            u = rng.integers(0, slots, candidates)
            r2, s2 = reviewer[u], submission[u]
            ok = (
                (r2 != r)
                & (reviewer_group[r] != submission_group[s2])
                & (reviewer_group[r2] != submission_group[s])
                & (s2 != s)
            )
            for cand in u[ok].tolist():
                r2i, s2i = int(reviewer[cand]), int(submission[cand])
                if (r, s2i) in pairs or (r2i, s) in pairs:
                    continue
                for old in ((r, s), (r2i, s2i)):
                    pairs[old] -= 1
                    if not pairs[old]:
                        del pairs[old]
                pairs[(r, s2i)] = 1
                pairs[(r2i, s)] = 1
                submission[t], submission[cand] = s2i, s
                moved += 1
                break
    bad = _conflicts(reviewer, submission, reviewer_group, submission_group)
    if bad.size:
        _augment(reviewer, submission, reviewer_group, submission_group, bad)
        moved += bad.size
    return moved


def _augment(
    reviewer: npt.NDArray[np.int64],
    submission: npt.NDArray[np.int64],
    reviewer_group: Labels,
    submission_group: Labels,
    bad: npt.NDArray[np.intp],
) -> None:
    """Exact repair: empty the conflicting slots, then refill each along an augmenting path
    (reviewer r takes s1, s1's reviewer y gives it up and takes s2, ... until a submission below
    its quota is reached). Max-flow theory: if a valid allocation exists, such a path exists, so
    failing here means the constraints cannot be met. Quotas are the current per-submission
    counts, so every count stays exactly as the shifts made it."""
    n_sub = submission_group.size
    quota = np.bincount(submission, minlength=n_sub)
    keep = np.ones(reviewer.size, dtype=bool)
    keep[bad] = False
    load = np.bincount(submission[keep], minlength=n_sub)
    takes: dict[int, set[int]] = {}
    given_to: dict[int, set[int]] = {}
    for r, s in zip(reviewer[keep].tolist(), submission[keep].tolist(), strict=True):
        takes.setdefault(r, set()).add(s)
        given_to.setdefault(s, set()).add(r)
    for t in bad.tolist():
        r = int(reviewer[t])
        path = _find_path(r, takes, given_to, load, quota, reviewer_group, submission_group)
        if path is None:
            raise AllocationError("the group constraints cannot be met; groups are too large")
        for x, s, y in path:
            takes.setdefault(x, set()).add(s)
            given_to.setdefault(s, set()).add(x)
            if y is not None:
                takes[y].discard(s)
                given_to[s].discard(y)
        load[path[-1][1]] += 1
    slots = [(r, s) for r, subs in takes.items() for s in subs]
    order = np.argsort(reviewer, kind="stable")
    new_reviewer = np.array([r for r, _ in slots], dtype=reviewer.dtype)
    new_submission = np.array([s for _, s in slots], dtype=submission.dtype)
    new_order = np.argsort(new_reviewer, kind="stable")
    reviewer[order] = new_reviewer[new_order]
    submission[order] = new_submission[new_order]


def _find_path(
    r: int,
    takes: dict[int, set[int]],
    given_to: dict[int, set[int]],
    load: npt.NDArray[np.intp],
    quota: npt.NDArray[np.intp],
    reviewer_group: Labels,
    submission_group: Labels,
) -> Path | None:
    """Breadth-first search for an augmenting path starting at reviewer r."""
    reached_from: dict[int, tuple[int, int | None]] = {}  # submission -> (taker, previous sub)
    via: dict[int, int | None] = {r: None}  # reviewer -> the submission it gives up (None: r)
    queue = [r]
    while queue:
        next_queue: list[int] = []
        for x in queue:
            allowed = submission_group != reviewer_group[x]
            mine = takes.get(x, set())
            if mine:
                allowed[list(mine)] = False
            if reached_from:
                allowed[list(reached_from)] = False
            candidates = np.flatnonzero(allowed)
            if candidates.size == 0:
                continue
            spare = candidates[load[candidates] < quota[candidates]]
            if spare.size:
                s = int(spare[0])
                reached_from[s] = (x, via[x])
                return _unwind(s, reached_from)
            for s in candidates.tolist():
                reached_from[s] = (x, via[x])
                for y in given_to.get(s, ()):
                    if y not in via:
                        via[y] = s
                        next_queue.append(y)
        queue = next_queue
    return None


def _unwind(s: int, reached_from: dict[int, tuple[int, int | None]]) -> Path:
    """Turn the search tree into [(taker, submission, giver or None)], first step first."""
    steps: list[tuple[int, int]] = []
    while True:
        x, previous = reached_from[s]
        # x takes s; x itself gave up `previous` (reached by x's predecessor) unless x is the root
        steps.append((x, s))
        if previous is None:
            break
        s = previous
    steps.reverse()
    # the giver of step i's submission is the taker of step i+1; the last step gives up nothing
    givers: list[int | None] = [x for x, _ in steps[1:]]
    givers.append(None)
    return [(x, s, y) for (x, s), y in zip(steps, givers, strict=True)]


def _conflicts(
    reviewer: npt.NDArray[np.int64],
    submission: npt.NDArray[np.int64],
    reviewer_group: Labels,
    submission_group: Labels,
) -> npt.NDArray[np.intp]:
    """Slots with a teammate's (or own) submission, plus every slot but the first of a repeat."""
    same_group = reviewer_group[reviewer] == submission_group[submission]
    key = reviewer.astype(np.int64) * (int(submission.max()) + 1) + submission
    _, first = np.unique(key, return_index=True)
    repeated = np.ones(key.size, dtype=bool)
    repeated[first] = False
    return np.flatnonzero(same_group | repeated)
