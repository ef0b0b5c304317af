"""SQL of review allocations: batch pairs, dynamic leases (`FOR UPDATE SKIP LOCKED` picking), the
reviewer's state, and the queue of submissions waiting for reviews.

A submission's `review_load` counts its live and completed allocations (assigned, leased,
completed); every statement that changes an allocation's state moves the load with it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import asyncpg

# ---- batch allocation inputs ----------------------------------------------------------------


async def select_submission_units(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> list[asyncpg.Record]:
    """Every submission with its author's team (for batch allocation), in id order."""
    return await conn.fetch(
        """SELECT s.id, s.author_id, COALESCE(s.team, tm.team) AS team
             FROM pr_submissions s
             LEFT JOIN pr_team_members tm ON tm.course_id = s.course_id
                  AND tm.assignment_id = s.assignment_id AND tm.user_id = s.author_id
            WHERE s.course_id = $1 AND s.assignment_id = $2
            ORDER BY s.id""",
        course_id,
        assignment_id,
    )


async def select_team_reviewers(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> list[asyncpg.Record]:
    """Every team member with their team, in user id order: the reviewers of team work."""
    return await conn.fetch(
        """SELECT user_id, team FROM pr_team_members
            WHERE course_id = $1 AND assignment_id = $2 ORDER BY user_id""",
        course_id,
        assignment_id,
    )


async def insert_allocations(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    reviewers: list[int],
    submissions: list[int],
    source: str,
) -> int:
    """Bulk insert assigned pairs (skipping pairs that already count) and bump the loads.

    Returns how many submissions' loads changed (0: every pair already existed)."""
    status = await conn.execute(
        """WITH new AS (
               INSERT INTO pr_allocations (course_id, assignment_id, submission_id, reviewer_id,
                      source, state)
               SELECT $1, $2, s, r, $5, 'assigned'
                 FROM unnest($3::bigint[], $4::bigint[]) AS x(r, s)
               ON CONFLICT (course_id, assignment_id, reviewer_id, submission_id)
                  WHERE state IN ('assigned', 'leased', 'completed') DO NOTHING
               RETURNING submission_id),
           counts AS (SELECT submission_id, count(*) AS n FROM new GROUP BY submission_id)
           UPDATE pr_submissions s SET review_load = s.review_load + counts.n
             FROM counts WHERE s.course_id = $1 AND s.id = counts.submission_id""",
        course_id,
        assignment_id,
        reviewers,
        submissions,
        source,
    )
    return int(status.split()[-1])


async def count_allocations(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM pr_allocations WHERE course_id = $1 AND assignment_id = $2",
        course_id,
        assignment_id,
    )
    return count


# ---- dynamic allocation: the reviewer's state, leases ---------------------------------------


async def select_reviewer_state(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, reviewer_id: int, owner: str
) -> asyncpg.Record:
    """Everything `reviews/next` checks about a reviewer, in one round trip: their own
    submission (`owner` is its owner key), reviews done, examples and calibration answers."""
    row = await conn.fetchrow(
        """SELECT
             (SELECT id FROM pr_submissions
               WHERE course_id = $1 AND assignment_id = $2 AND owner_key = $4) AS submission_id,
             (SELECT count(*) FROM pr_reviews
               WHERE course_id = $1 AND assignment_id = $2 AND reviewer_id = $3
                 AND NOT by_staff) AS done,
             (SELECT count(*) FROM pr_calibration_examples
               WHERE course_id = $1 AND assignment_id = $2) AS examples,
             (SELECT count(*) FROM pr_calibration_answers
               WHERE course_id = $1 AND assignment_id = $2 AND user_id = $3) AS answered""",
        course_id,
        assignment_id,
        reviewer_id,
        owner,
    )
    assert row is not None  # a SELECT of scalar subqueries always returns one row
    return row


async def expire_leases(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    """Return expired leases to the pool (set-based, safe under concurrency)."""
    status = await conn.execute(
        """WITH gone AS (
               UPDATE pr_allocations SET state = 'expired'
                WHERE course_id = $1 AND assignment_id = $2 AND state = 'leased'
                  AND lease_expires_at < now()
            RETURNING submission_id),
           counts AS (SELECT submission_id, count(*) AS n FROM gone GROUP BY submission_id)
           UPDATE pr_submissions s SET review_load = s.review_load - counts.n
             FROM counts WHERE s.course_id = $1 AND s.id = counts.submission_id""",
        course_id,
        assignment_id,
    )
    return int(status.split()[-1])


async def select_open_allocation(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, reviewer_id: int
) -> asyncpg.Record | None:
    """The reviewer's live lease or oldest batch/manual assignment not yet reviewed."""
    return await conn.fetchrow(
        """SELECT id, submission_id, state, lease_expires_at FROM pr_allocations
            WHERE course_id = $1 AND assignment_id = $2 AND reviewer_id = $3
              AND (state = 'assigned' OR (state = 'leased' AND lease_expires_at > now()))
            ORDER BY (state = 'leased') DESC, id LIMIT 1""",
        course_id,
        assignment_id,
        reviewer_id,
    )


# Dynamic picking: index range scans of (course, assignment, review_load, pick_key). One
# statement finds the least load any submission this reviewer may take has and, at that load,
# the first submission from a random point of pick_key; so ties go at random and nobody can
# steer which submission a reviewer gets. Only when nothing follows the point does a second
# statement wrap around to the start. @UNCERTAIN@ narrows a pass to uncertain submissions (their
# own partial index); the statements are built here at import, never from input.
_ELIGIBLE = """
  FROM pr_submissions s
 WHERE s.course_id = $1 AND s.assignment_id = $2 AND s.owner_key <> ALL($3::text[]) @UNCERTAIN@
   AND NOT EXISTS (SELECT 1 FROM pr_allocations a
                    WHERE a.course_id = s.course_id AND a.assignment_id = s.assignment_id
                      AND a.submission_id = s.id AND a.reviewer_id = $4
                      AND a.state IN ('assigned', 'leased', 'completed'))"""
_FROM_POINT = """
WITH least AS (
    SELECT s.review_load@ELIGIBLE@
       AND s.review_load < $5
     ORDER BY s.review_load LIMIT 1)
SELECT (SELECT review_load FROM least) AS load,
       (SELECT s.id@ELIGIBLE@
           AND s.review_load = (SELECT review_load FROM least) AND s.pick_key >= $6
         ORDER BY s.pick_key LIMIT 1
           FOR UPDATE OF s SKIP LOCKED) AS id"""
_BEFORE_POINT = """
SELECT s.id@ELIGIBLE@
   AND s.review_load = $5 AND s.pick_key < $6
 ORDER BY s.pick_key LIMIT 1
   FOR UPDATE OF s SKIP LOCKED"""
# When every submission at the least load is locked by concurrent pickers: the next load up.
_ANY_UNDER = """
SELECT s.id@ELIGIBLE@
   AND s.review_load < $5
 ORDER BY s.review_load, s.pick_key LIMIT 1
   FOR UPDATE OF s SKIP LOCKED"""


def _pass(sql: str, uncertain: bool) -> str:
    eligible = _ELIGIBLE.replace("@UNCERTAIN@", "AND s.uncertain" if uncertain else "")
    return sql.replace("@ELIGIBLE@", eligible)


PICK_SQL = {
    uncertain: tuple(_pass(sql, uncertain) for sql in (_FROM_POINT, _BEFORE_POINT, _ANY_UNDER))
    for uncertain in (False, True)
}
# A load no submission reaches: the last pass takes anything the reviewer may review.
ANY_LOAD = 2**31 - 1


async def _pick_pass(
    conn: asyncpg.Connection, args: tuple[object, ...], *, below: int, uncertain: bool
) -> int | None:
    from_point, before_point, any_under = PICK_SQL[uncertain]
    point = secrets.randbelow(2**53) / 2**53  # uniform in [0, 1), like the keys
    row = await conn.fetchrow(from_point, *args, below, point)
    assert row is not None  # a SELECT of scalar subqueries always returns one row
    if row["load"] is None:
        return None  # nothing this reviewer may take in this pass
    picked: int | None = row["id"]
    if picked is None:
        picked = await conn.fetchval(before_point, *args, row["load"], point)
    if picked is None:
        picked = await conn.fetchval(any_under, *args, below)
    return picked


async def pick_submission(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    reviewer_id: int,
    excluded_owners: list[str],
    k: int,
    extra: int,
) -> int | None:
    """A least-loaded submission this reviewer may review, chosen at random among those tied,
    locked (others skip it).

    Never one of `excluded_owners` (the reviewer's own and their team's work) nor one the
    reviewer already has or did. First those with fewer than k completed+live reviews (late
    submitters have none, so they come first), then uncertain ones up to k + extra, then anything
    (so learners who must review more than k still find work)."""
    args = (course_id, assignment_id, excluded_owners, reviewer_id)
    picked = await _pick_pass(conn, args, below=k, uncertain=False)
    if picked is None and extra > 0:
        picked = await _pick_pass(conn, args, below=k + extra, uncertain=True)
    if picked is None:
        picked = await _pick_pass(conn, args, below=ANY_LOAD, uncertain=False)
    return picked


async def pick_starving(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    reviewer_id: int,
    excluded_owners: list[str],
    k: int,
) -> int | None:
    """Like pick_submission's first pass only: a submission with fewer than k completed+live
    reviews (late work), for a reviewer who has done the reviews required."""
    args = (course_id, assignment_id, excluded_owners, reviewer_id)
    return await _pick_pass(conn, args, below=k, uncertain=False)


async def insert_lease(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    submission_id: int,
    reviewer_id: int,
    lease_seconds: int,
) -> asyncpg.Record | None:
    """A lease and its load, in one statement; None if a concurrent request of the same
    reviewer got a lease first (the one-live-lease index)."""
    return await conn.fetchrow(
        """WITH lease AS (
               INSERT INTO pr_allocations (course_id, assignment_id, submission_id, reviewer_id,
                      source, state, lease_expires_at)
               VALUES ($1, $2, $3, $4, 'dynamic', 'leased', now() + make_interval(secs => $5))
               ON CONFLICT (course_id, assignment_id, reviewer_id) WHERE state = 'leased'
               DO NOTHING
               RETURNING id, submission_id, state, lease_expires_at),
           bump AS (
               UPDATE pr_submissions SET review_load = review_load + 1
                WHERE course_id = $1 AND id = (SELECT submission_id FROM lease))
           SELECT id, submission_id, state, lease_expires_at FROM lease""",
        course_id,
        assignment_id,
        submission_id,
        reviewer_id,
        lease_seconds,
    )


# ---- one allocation -------------------------------------------------------------------------


async def select_allocation(
    conn: asyncpg.Connection, course_id: int, allocation_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, assignment_id, submission_id, reviewer_id, source, state, lease_expires_at,
                  created_at
             FROM pr_allocations WHERE course_id = $1 AND id = $2""",
        course_id,
        allocation_id,
    )


async def select_assigned(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    reviewer_id: int,
    submission_id: int,
) -> asyncpg.Record | None:
    """The reviewer's not yet started (assigned) allocation of this submission."""
    return await conn.fetchrow(
        """SELECT id, assignment_id, submission_id, reviewer_id, source, state,
                  lease_expires_at, created_at
             FROM pr_allocations WHERE course_id = $1 AND assignment_id = $2
              AND reviewer_id = $3 AND submission_id = $4 AND state = 'assigned'""",
        course_id,
        assignment_id,
        reviewer_id,
        submission_id,
    )


async def is_allocated(
    conn: asyncpg.Connection, course_id: int, submission_id: int, reviewer_id: int
) -> bool:
    """Whether the submission is (or was, once reviewed) allocated to this reviewer."""
    found = await conn.fetchval(
        """SELECT 1 FROM pr_allocations WHERE course_id = $1 AND submission_id = $2
              AND reviewer_id = $3 AND state IN ('assigned', 'leased', 'completed')""",
        course_id,
        submission_id,
        reviewer_id,
    )
    return bool(found)


async def complete_allocation(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    allocation_id: int,
    *,
    reviewer_id: int,
) -> asyncpg.Record | None:
    """Mark the reviewer's live allocation done; None if it is not theirs or no longer live."""
    return await conn.fetchrow(
        """UPDATE pr_allocations SET state = 'completed', completed_at = now()
            WHERE course_id = $1 AND id = $2 AND assignment_id = $3 AND reviewer_id = $4
              AND state IN ('assigned', 'leased')
        RETURNING id, submission_id""",
        course_id,
        allocation_id,
        assignment_id,
        reviewer_id,
    )


async def add_load(
    conn: asyncpg.Connection, course_id: int, submission_ids: list[int], delta: int
) -> None:
    await conn.execute(
        """UPDATE pr_submissions SET review_load = review_load + $3
            WHERE course_id = $1 AND id = ANY($2::bigint[])""",
        course_id,
        submission_ids,
        delta,
    )


async def cancel_allocation(
    conn: asyncpg.Connection, course_id: int, allocation_id: int
) -> asyncpg.Record | None:
    """Cancel a live (assigned or leased) allocation and free its load; None if none is live."""
    row = await conn.fetchrow(
        """UPDATE pr_allocations SET state = 'cancelled'
            WHERE course_id = $1 AND id = $2 AND state IN ('assigned', 'leased')
        RETURNING id, submission_id""",
        course_id,
        allocation_id,
    )
    if row is not None:
        await add_load(conn, course_id, [row["submission_id"]], -1)
    return row


# ---- the staff's queue ------------------------------------------------------------------------


async def select_waiting(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    k: int,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
    name: str | None = None,
) -> list[asyncpg.Record]:
    """Submissions with fewer than k completed reviews, the longest waiting first, with the
    submitter's name and email; `name` an agora.names.like_prefix pattern (None: everyone)."""
    since, after_id = after if after else (None, 0)
    return await conn.fetch(
        """SELECT s.id, s.author_id, s.team, s.reviews_done, s.review_load, s.created_at,
                  u.name AS author_name, u.email AS author_email
             FROM pr_submissions s JOIN users u ON u.id = s.author_id
            WHERE s.course_id = $1 AND s.assignment_id = $2 AND s.reviews_done < $3
              AND ($4::timestamptz IS NULL OR (s.created_at, s.id) > ($4, $5))
              AND ($7::text IS NULL OR lower(u.name) LIKE $7 OR lower(u.family_name) LIKE $7
                   OR lower(u.email) LIKE $7)
            ORDER BY s.created_at, s.id LIMIT $6""",
        course_id,
        assignment_id,
        k,
        since,
        after_id,
        limit,
        name,
    )
