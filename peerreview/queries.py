"""SQL of the peer-review context. Every query is scoped by course_id; bulk work is set-based."""

from __future__ import annotations

from datetime import datetime

import asyncpg

# ---- assignments ---------------------------------------------------------------------------


async def insert_assignment(conn: asyncpg.Connection, course_id: int, values: dict):
    return await conn.fetchrow(
        """INSERT INTO pr_assignments (course_id, title, prompt, prompt_html, rubric,
                points_possible, reviews_per_submission, reviews_required, calibration_required,
                submission_deadline, review_deadline, allocation_mode, grading_method,
                team_submissions, lease_seconds, extra_reviews, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
            RETURNING id, course_id, title, prompt, prompt_html, rubric, points_possible,
                  reviews_per_submission, reviews_required, calibration_required, phase,
                  submission_deadline,
                  review_deadline, allocation_mode, grading_method, team_submissions, lease_seconds,
                  extra_reviews, allocation_seed, allocated_at, graded_at, released_at,
                  created_by, created_at,
                  updated_at""",
        course_id,
        values["title"],
        values["prompt"],
        values["prompt_html"],
        values["rubric"],
        values["points_possible"],
        values["reviews_per_submission"],
        values["reviews_required"],
        values["calibration_required"],
        values["submission_deadline"],
        values["review_deadline"],
        values["allocation_mode"],
        values["grading_method"],
        values["team_submissions"],
        values["lease_seconds"],
        values["extra_reviews"],
        values["created_by"],
    )


SELECT_ASSIGNMENT = """
    SELECT id, course_id, title, prompt, prompt_html, rubric, points_possible,
           reviews_per_submission, reviews_required, calibration_required, phase,
           submission_deadline, review_deadline, allocation_mode, grading_method,
           team_submissions, lease_seconds, extra_reviews, allocation_seed, allocated_at,
           graded_at, released_at, created_by, created_at, updated_at
      FROM pr_assignments WHERE course_id = $1 AND id = $2"""
# The same row, locked: phase changes, allocation and grading serialise on it.
SELECT_ASSIGNMENT_FOR_UPDATE = """
    SELECT id, course_id, title, prompt, prompt_html, rubric, points_possible,
           reviews_per_submission, reviews_required, calibration_required, phase,
           submission_deadline, review_deadline, allocation_mode, grading_method,
           team_submissions, lease_seconds, extra_reviews, allocation_seed, allocated_at,
           graded_at, released_at, created_by, created_at, updated_at
      FROM pr_assignments WHERE course_id = $1 AND id = $2
       FOR UPDATE"""


async def select_assignment(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, for_update: bool = False
):
    sql = SELECT_ASSIGNMENT_FOR_UPDATE if for_update else SELECT_ASSIGNMENT
    return await conn.fetchrow(sql, course_id, assignment_id)


async def select_assignments(
    conn: asyncpg.Connection, course_id: int, *, after_id: int, limit: int, include_drafts: bool
):
    return await conn.fetch(
        """SELECT id, course_id, title, prompt, prompt_html, rubric, points_possible,
                  reviews_per_submission, reviews_required, calibration_required, phase,
                  submission_deadline,
                  review_deadline, allocation_mode, grading_method, team_submissions, lease_seconds,
                  extra_reviews, allocation_seed, allocated_at, graded_at, released_at,
                  created_by, created_at,
                  updated_at FROM pr_assignments
             WHERE course_id = $1 AND id > $2 AND ($4 OR phase <> 'draft')
             ORDER BY id LIMIT $3""",
        course_id,
        after_id,
        limit,
        include_drafts,
    )


async def update_assignment(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, values: dict
):
    """Set the given columns (names come from the AssignmentUpdate Struct, never from input)."""
    row = await select_assignment(conn, course_id, assignment_id)
    merged = {**dict(row), **values}
    return await conn.fetchrow(
        """UPDATE pr_assignments SET title = $3, prompt = $4, prompt_html = $5, rubric = $6,
                points_possible = $7, reviews_per_submission = $8, reviews_required = $9,
                calibration_required = $10, submission_deadline = $11, review_deadline = $12,
                allocation_mode = $13, grading_method = $14, lease_seconds = $15,
                extra_reviews = $16, phase = $17, allocation_seed = $18, allocated_at = $19,
                graded_at = $20, released_at = $21, updated_at = now()
             WHERE course_id = $1 AND id = $2
         RETURNING id, course_id, title, prompt, prompt_html, rubric, points_possible,
                  reviews_per_submission, reviews_required, calibration_required, phase,
                  submission_deadline,
                  review_deadline, allocation_mode, grading_method, team_submissions, lease_seconds,
                  extra_reviews, allocation_seed, allocated_at, graded_at, released_at,
                  created_by, created_at,
                  updated_at""",
        course_id,
        assignment_id,
        merged["title"],
        merged["prompt"],
        merged["prompt_html"],
        merged["rubric"],
        merged["points_possible"],
        merged["reviews_per_submission"],
        merged["reviews_required"],
        merged["calibration_required"],
        merged["submission_deadline"],
        merged["review_deadline"],
        merged["allocation_mode"],
        merged["grading_method"],
        merged["lease_seconds"],
        merged["extra_reviews"],
        merged["phase"],
        merged["allocation_seed"],
        merged["allocated_at"],
        merged["graded_at"],
        merged["released_at"],
    )


async def select_assignment_by_title(conn: asyncpg.Connection, course_id: int, title: str):
    return await conn.fetchrow(
        """SELECT id, course_id, title, prompt, prompt_html, rubric, points_possible,
                  reviews_per_submission, reviews_required, calibration_required, phase,
                  submission_deadline,
                  review_deadline, allocation_mode, grading_method, team_submissions, lease_seconds,
                  extra_reviews, allocation_seed, allocated_at, graded_at, released_at,
                  created_by, created_at,
                  updated_at FROM pr_assignments WHERE course_id = $1 AND title = $2"""
        " ORDER BY id LIMIT 1",
        course_id,
        title,
    )


# ---- teams ----------------------------------------------------------------------------------


async def replace_teams(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, users: list, teams: list
) -> None:
    await conn.execute(
        "DELETE FROM pr_team_members WHERE course_id = $1 AND assignment_id = $2",
        course_id,
        assignment_id,
    )
    await conn.execute(
        """INSERT INTO pr_team_members (course_id, assignment_id, user_id, team)
           SELECT $1, $2, u, t FROM unnest($3::bigint[], $4::text[]) AS x(u, t)""",
        course_id,
        assignment_id,
        users,
        teams,
    )


async def select_team(conn: asyncpg.Connection, course_id: int, assignment_id: int, user_id: int):
    return await conn.fetchval(
        """SELECT team FROM pr_team_members
            WHERE course_id = $1 AND assignment_id = $2 AND user_id = $3""",
        course_id,
        assignment_id,
        user_id,
    )


async def select_team_members(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, team: str
) -> list[int]:
    rows = await conn.fetch(
        """SELECT user_id FROM pr_team_members
            WHERE course_id = $1 AND assignment_id = $2 AND team = $3""",
        course_id,
        assignment_id,
        team,
    )
    return [r["user_id"] for r in rows]


async def select_learners(conn: asyncpg.Connection, course_id: int) -> list[int]:
    rows = await conn.fetch(
        """SELECT user_id FROM memberships
            WHERE course_id = $1 AND role = 'learner' AND active""",
        course_id,
    )
    return [r["user_id"] for r in rows]


# ---- submissions ------------------------------------------------------------------------------


async def upsert_submission(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    owner_key: str,
    author_id: int,
    team: str | None,
    body: str,
    body_html: str,
):
    return await conn.fetchrow(
        """INSERT INTO pr_submissions (course_id, assignment_id, owner_key, author_id, team,
                body, body_html)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (course_id, assignment_id, owner_key) DO UPDATE
               SET body = EXCLUDED.body, body_html = EXCLUDED.body_html,
                   author_id = EXCLUDED.author_id, updated_at = now()
            RETURNING id, assignment_id, owner_key, author_id, team, body, body_html,
                  review_load, reviews_done, uncertain, created_at, updated_at,
                  (xmax = 0) AS created""",
        course_id,
        assignment_id,
        owner_key,
        author_id,
        team,
        body,
        body_html,
    )


async def count_submissions(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM pr_submissions WHERE course_id = $1 AND assignment_id = $2",
        course_id,
        assignment_id,
    )


async def select_submission(conn: asyncpg.Connection, course_id: int, submission_id: int):
    return await conn.fetchrow(
        """SELECT id, assignment_id, owner_key, author_id, team, body, body_html,
                  review_load, reviews_done, uncertain, created_at, updated_at
             FROM pr_submissions WHERE course_id = $1 AND id = $2""",
        course_id,
        submission_id,
    )


async def select_submission_of_owner(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, owner_key: str
):
    return await conn.fetchrow(
        """SELECT id, assignment_id, owner_key, author_id, team, body, body_html,
                  review_load, reviews_done, uncertain, created_at, updated_at FROM pr_submissions
             WHERE course_id = $1 AND assignment_id = $2 AND owner_key = $3""",
        course_id,
        assignment_id,
        owner_key,
    )


async def select_submissions(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, after_id: int, limit: int
):
    return await conn.fetch(
        """SELECT id, assignment_id, owner_key, author_id, team, body, body_html,
                  review_load, reviews_done, uncertain, created_at, updated_at FROM pr_submissions
             WHERE course_id = $1 AND assignment_id = $2 AND id > $3
             ORDER BY id LIMIT $4""",
        course_id,
        assignment_id,
        after_id,
        limit,
    )


async def select_waiting(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    k: int,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
):
    """Submissions with fewer than k completed reviews, the longest waiting first."""
    since, after_id = after if after else (None, 0)
    return await conn.fetch(
        """SELECT id, author_id, team, reviews_done, review_load, created_at
             FROM pr_submissions
            WHERE course_id = $1 AND assignment_id = $2 AND reviews_done < $3
              AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5))
            ORDER BY created_at, id LIMIT $6""",
        course_id,
        assignment_id,
        k,
        since,
        after_id,
        limit,
    )


async def select_submission_units(conn: asyncpg.Connection, course_id: int, assignment_id: int):
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


async def select_team_reviewers(conn: asyncpg.Connection, course_id: int, assignment_id: int):
    return await conn.fetch(
        """SELECT user_id, team FROM pr_team_members
            WHERE course_id = $1 AND assignment_id = $2 ORDER BY user_id""",
        course_id,
        assignment_id,
    )


# ---- calibration -------------------------------------------------------------------------------


async def insert_example(conn, course_id, assignment_id, body, body_html, choices, scores, total,
                         explanation):  # fmt: skip
    return await conn.fetchrow(
        """INSERT INTO pr_calibration_examples (course_id, assignment_id, body, body_html, choices,
               scores, total, explanation)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING id, body_html, choices, scores, total, explanation""",
        course_id,
        assignment_id,
        body,
        body_html,
        choices,
        scores,
        total,
        explanation,
    )


async def select_examples(conn: asyncpg.Connection, course_id: int, assignment_id: int):
    return await conn.fetch(
        """SELECT id, body_html, choices, scores, total, explanation
             FROM pr_calibration_examples
            WHERE course_id = $1 AND assignment_id = $2 ORDER BY id LIMIT 100""",
        course_id,
        assignment_id,
    )


async def select_answers(conn, course_id: int, assignment_id: int, user_id: int):
    return await conn.fetch(
        """SELECT example_id, choices, scores, total FROM pr_calibration_answers
            WHERE course_id = $1 AND assignment_id = $2 AND user_id = $3""",
        course_id,
        assignment_id,
        user_id,
    )


async def insert_answer(conn, course_id, assignment_id, example_id, user_id, choices, scores,
                        total):  # fmt: skip
    return await conn.fetchrow(
        """INSERT INTO pr_calibration_answers (course_id, assignment_id, example_id, user_id,
               choices, scores, total)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (course_id, example_id, user_id) DO NOTHING
           RETURNING example_id""",
        course_id,
        assignment_id,
        example_id,
        user_id,
        choices,
        scores,
        total,
    )


async def select_all_answers(conn: asyncpg.Connection, course_id: int, assignment_id: int):
    """Every calibration answer of the assignment beside its reference, as arrays."""
    return await conn.fetchrow(
        """SELECT coalesce(array_agg(a.user_id), '{}') AS grader,
                  coalesce(array_agg(a.total), '{}') AS total,
                  coalesce(array_agg(e.total), '{}') AS truth,
                  coalesce(array_agg(a.scores), '{}') AS scores,
                  coalesce(array_agg(e.scores), '{}') AS truth_scores
             FROM pr_calibration_answers a
             JOIN pr_calibration_examples e ON e.course_id = a.course_id AND e.id = a.example_id
            WHERE a.course_id = $1 AND a.assignment_id = $2""",
        course_id,
        assignment_id,
    )


# ---- allocations --------------------------------------------------------------------------------


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
):
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


async def select_reviewer_state(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, reviewer_id: int, owner: str
):
    """Everything `reviews/next` checks about a reviewer, in one round trip."""
    return await conn.fetchrow(
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


async def count_reviews_done(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, reviewer_id: int
) -> int:
    return await conn.fetchval(
        """SELECT count(*) FROM pr_reviews
            WHERE course_id = $1 AND assignment_id = $2 AND reviewer_id = $3 AND NOT by_staff""",
        course_id,
        assignment_id,
        reviewer_id,
    )


PICK_UNDER_K = """
    SELECT s.id FROM pr_submissions s
     WHERE s.course_id = $1 AND s.assignment_id = $2 AND s.owner_key <> ALL($3::text[])
       AND s.review_load < $4
       AND NOT EXISTS (SELECT 1 FROM pr_allocations a
                        WHERE a.course_id = s.course_id AND a.assignment_id = s.assignment_id
                          AND a.submission_id = s.id AND a.reviewer_id = $5
                          AND a.state IN ('assigned', 'leased', 'completed'))
     ORDER BY s.review_load, s.id
     LIMIT 1
     FOR UPDATE OF s SKIP LOCKED"""
# The same scan restricted to uncertain submissions (their own partial index).
PICK_UNCERTAIN = """
    SELECT s.id FROM pr_submissions s
     WHERE s.course_id = $1 AND s.assignment_id = $2 AND s.owner_key <> ALL($3::text[])
       AND s.review_load < $4 AND s.uncertain
       AND NOT EXISTS (SELECT 1 FROM pr_allocations a
                        WHERE a.course_id = s.course_id AND a.assignment_id = s.assignment_id
                          AND a.submission_id = s.id AND a.reviewer_id = $5
                          AND a.state IN ('assigned', 'leased', 'completed'))
     ORDER BY s.review_load, s.id
     LIMIT 1
     FOR UPDATE OF s SKIP LOCKED"""


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
    """The least-loaded submission this reviewer may review, locked (others skip it).

    First those with fewer than k completed+live reviews (late submitters have none, so they come
    first), then uncertain ones up to k + extra, then anything (so learners who must review more
    than k still find work)."""
    args = (course_id, assignment_id, excluded_owners)
    picked = await conn.fetchval(PICK_UNDER_K, *args, k, reviewer_id)
    if picked is None and extra > 0:
        picked = await conn.fetchval(PICK_UNCERTAIN, *args, k + extra, reviewer_id)
    if picked is None:
        picked = await conn.fetchval(PICK_UNDER_K, *args, 2**31 - 1, reviewer_id)
    return picked


async def insert_lease(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    submission_id: int,
    reviewer_id: int,
    lease_seconds: int,
):
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


async def add_load(conn: asyncpg.Connection, course_id: int, submission_ids: list, delta: int):
    await conn.execute(
        """UPDATE pr_submissions SET review_load = review_load + $3
            WHERE course_id = $1 AND id = ANY($2::bigint[])""",
        course_id,
        submission_ids,
        delta,
    )


async def insert_allocations(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    reviewers: list[int],
    submissions: list[int],
    source: str,
) -> int:
    """Bulk insert assigned pairs (skipping pairs that already count) and bump the loads."""
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


async def select_allocation(conn: asyncpg.Connection, course_id: int, allocation_id: int):
    return await conn.fetchrow(
        """SELECT id, assignment_id, submission_id, reviewer_id, source, state, lease_expires_at,
                  created_at
             FROM pr_allocations WHERE course_id = $1 AND id = $2""",
        course_id,
        allocation_id,
    )


async def complete_allocation(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    allocation_id: int,
    reviewer_id: int,
):
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


async def cancel_allocation(conn: asyncpg.Connection, course_id: int, allocation_id: int):
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


async def count_allocations(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM pr_allocations WHERE course_id = $1 AND assignment_id = $2",
        course_id,
        assignment_id,
    )


# ---- reviews -------------------------------------------------------------------------------------


async def insert_review(conn: asyncpg.Connection, course_id: int, values: dict):
    return await conn.fetchrow(
        """INSERT INTO pr_reviews (course_id, assignment_id, submission_id, reviewer_id,
                allocation_id, by_staff, choices, scores, total, criterion_comments, comment,
                comment_html)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (course_id, assignment_id, submission_id, reviewer_id) DO UPDATE
               SET choices = EXCLUDED.choices, scores = EXCLUDED.scores, total = EXCLUDED.total,
                   criterion_comments = EXCLUDED.criterion_comments, comment = EXCLUDED.comment,
                   comment_html = EXCLUDED.comment_html, updated_at = now()
            RETURNING id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff,
                  choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at, (xmax = 0) AS created""",
        course_id,
        values["assignment_id"],
        values["submission_id"],
        values["reviewer_id"],
        values["allocation_id"],
        values["by_staff"],
        values["choices"],
        values["scores"],
        values["total"],
        values["criterion_comments"],
        values["comment"],
        values["comment_html"],
    )


async def update_review(conn: asyncpg.Connection, course_id: int, review_id: int, values: dict):
    return await conn.fetchrow(
        """UPDATE pr_reviews SET choices = $3, scores = $4, total = $5,
                criterion_comments = $6, comment = $7, comment_html = $8, updated_at = now()
             WHERE course_id = $1 AND id = $2
         RETURNING id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff,
                  choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at""",
        course_id,
        review_id,
        values["choices"],
        values["scores"],
        values["total"],
        values["criterion_comments"],
        values["comment"],
        values["comment_html"],
    )


async def select_review(conn: asyncpg.Connection, course_id: int, review_id: int):
    return await conn.fetchrow(
        """SELECT id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff, choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at, comment FROM pr_reviews WHERE course_id = $1 AND id = $2""",
        course_id,
        review_id,
    )


async def select_reviews_of_submission(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    submission_id: int,
    *,
    after_id: int,
    limit: int,
):
    return await conn.fetch(
        """SELECT id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff, choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at FROM pr_reviews
             WHERE course_id = $1 AND assignment_id = $2 AND submission_id = $3 AND id > $4
             ORDER BY id LIMIT $5""",
        course_id,
        assignment_id,
        submission_id,
        after_id,
        limit,
    )


async def mark_reviewed(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    submission_id: int,
    *,
    k: int,
    max_spread: float,
) -> None:
    """Count a completed review; with k or more peer reviews whose totals disagree (sample sd
    above max_spread) the submission becomes uncertain and gets extra reviewers first."""
    await conn.execute(
        """UPDATE pr_submissions s SET reviews_done = s.reviews_done + 1,
                  uncertain = coalesce(r.n >= $4 AND r.sd > $5, false)
             FROM (SELECT count(*) AS n, stddev_samp(total) AS sd FROM pr_reviews
                    WHERE course_id = $1 AND assignment_id = $2 AND submission_id = $3
                      AND NOT by_staff) r
            WHERE s.course_id = $1 AND s.id = $3""",
        course_id,
        assignment_id,
        submission_id,
        k,
        max_spread,
    )


async def set_review_feedback(
    conn: asyncpg.Connection,
    course_id: int,
    review_id: int,
    *,
    helpfulness: int | None = None,
    flag_reason: str | None = None,
):
    return await conn.fetchrow(
        """UPDATE pr_reviews
               SET helpfulness = COALESCE($3, helpfulness),
                   flagged = flagged OR $4::text IS NOT NULL,
                   flag_reason = COALESCE($4, flag_reason)
             WHERE course_id = $1 AND id = $2
         RETURNING id, assignment_id, submission_id, reviewer_id, allocation_id, by_staff,
                  choices,
                  scores, total, criterion_comments, comment_html, helpfulness, flagged,
                  flag_reason,
                  created_at""",
        course_id,
        review_id,
        helpfulness,
        flag_reason,
    )


async def select_review_matrix(conn: asyncpg.Connection, course_id: int, assignment_id: int):
    """All reviews of an assignment as parallel arrays: one round trip, no per-row work.

    Flagged (abusive) reviews are left out of grading."""
    return await conn.fetchrow(
        """SELECT coalesce(array_agg(submission_id ORDER BY id), '{}') AS submission,
                  coalesce(array_agg(reviewer_id ORDER BY id), '{}') AS reviewer,
                  coalesce(array_agg(by_staff ORDER BY id), '{}') AS by_staff,
                  coalesce(array_agg(total ORDER BY id), '{}') AS total,
                  coalesce(array_agg(scores ORDER BY id), '{}') AS scores
             FROM pr_reviews
            WHERE course_id = $1 AND assignment_id = $2 AND NOT flagged""",
        course_id,
        assignment_id,
    )


# ---- grades ------------------------------------------------------------------------------------


async def upsert_grades(conn: asyncpg.Connection, course_id: int, assignment_id: int, g: dict):
    """Store a grading run in one statement; overrides and release state are kept."""
    await conn.execute(
        """INSERT INTO pr_grades (course_id, assignment_id, submission_id, estimate, criteria,
               confidence, method, n_reviews, spread, doubt, doubtful, computed_at)
           SELECT $1, $2, x.s, x.e, x.c::float8[], x.conf, $3, x.n, x.sp, x.d, x.dbt, now()
             FROM unnest($4::bigint[], $5::float8[], $6::text[], $7::float8[], $8::int[],
                         $9::float8[], $10::float8[], $11::bool[])
                  AS x(s, e, c, conf, n, sp, d, dbt)
           ON CONFLICT (course_id, submission_id) DO UPDATE
              SET estimate = EXCLUDED.estimate, criteria = EXCLUDED.criteria,
                  confidence = EXCLUDED.confidence, method = EXCLUDED.method,
                  n_reviews = EXCLUDED.n_reviews, spread = EXCLUDED.spread,
                  doubt = EXCLUDED.doubt, doubtful = EXCLUDED.doubtful,
                  computed_at = EXCLUDED.computed_at""",
        course_id,
        assignment_id,
        g["method"],
        g["submission"],
        g["estimate"],
        g["criteria"],
        g["confidence"],
        g["n_reviews"],
        g["spread"],
        g["doubt"],
        g["doubtful"],
    )
    # Uncertain submissions get extra reviewers first in dynamic allocation.
    await conn.execute(
        """UPDATE pr_submissions s SET uncertain = x.dbt
             FROM unnest($2::bigint[], $3::bool[]) AS x(id, dbt)
            WHERE s.course_id = $1 AND s.id = x.id AND s.uncertain IS DISTINCT FROM x.dbt""",
        course_id,
        g["submission"],
        g["doubtful"],
    )


async def upsert_grader_stats(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, users, bias, reliability, suspect
) -> None:
    await conn.execute(
        """INSERT INTO pr_grader_stats (course_id, assignment_id, user_id, bias, reliability,
               suspect)
           SELECT $1, $2, u, b, r, s
             FROM unnest($3::bigint[], $4::float8[], $5::float8[], $6::bool[]) AS x(u, b, r, s)
           ON CONFLICT (course_id, assignment_id, user_id) DO UPDATE
              SET bias = EXCLUDED.bias, reliability = EXCLUDED.reliability,
                  suspect = EXCLUDED.suspect, computed_at = now()""",
        course_id,
        assignment_id,
        users,
        bias,
        reliability,
        suspect,
    )


async def select_grade(conn: asyncpg.Connection, course_id: int, submission_id: int):
    return await conn.fetchrow(
        """SELECT submission_id, assignment_id, estimate, criteria, confidence, method, n_reviews,
                  spread, doubt, doubtful, override_score, override_reason, final_score,
                  computed_at,
                  released_at FROM pr_grades WHERE course_id = $1 AND submission_id = $2""",
        course_id,
        submission_id,
    )


async def select_grades(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, after_id: int, limit: int
):
    return await conn.fetch(
        """SELECT submission_id, assignment_id, estimate, criteria, confidence, method, n_reviews,
                  spread, doubt, doubtful, override_score, override_reason, final_score,
                  computed_at,
                  released_at FROM pr_grades
             WHERE course_id = $1 AND assignment_id = $2 AND submission_id > $3
             ORDER BY submission_id LIMIT $4""",
        course_id,
        assignment_id,
        after_id,
        limit,
    )


async def select_doubtful(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    after: tuple[float, int] | None,
    limit: int,
):
    """The instructor queue: doubtful grades not yet overridden, most doubtful first."""
    doubt, after_id = after if after else (None, 0)
    return await conn.fetch(
        """SELECT submission_id, assignment_id, estimate, criteria, confidence, method, n_reviews,
                  spread, doubt, doubtful, override_score, override_reason, final_score,
                  computed_at,
                  released_at FROM pr_grades
             WHERE course_id = $1 AND assignment_id = $2 AND doubtful
               AND override_score IS NULL
               AND ($3::float8 IS NULL OR (doubt < $3 OR (doubt = $3 AND submission_id > $4)))
             ORDER BY doubt DESC, submission_id LIMIT $5""",
        course_id,
        assignment_id,
        doubt,
        after_id,
        limit,
    )


async def set_override(conn, course_id: int, submission_id: int, score, reason: str, by: int):
    return await conn.fetchrow(
        """UPDATE pr_grades SET override_score = $3, override_reason = $4, overridden_by = $5,
                overridden_at = now()
             WHERE course_id = $1 AND submission_id = $2
         RETURNING submission_id, assignment_id, estimate, criteria, confidence, method,
                  n_reviews,
                  spread, doubt, doubtful, override_score, override_reason, final_score,
                  computed_at,
                  released_at""",
        course_id,
        submission_id,
        score,
        reason,
        by,
    )


async def insert_override_grade(conn, course_id, assignment_id, submission_id, score, reason, by):
    """An override on a submission that has no computed grade yet."""
    return await conn.fetchrow(
        """INSERT INTO pr_grades (course_id, assignment_id, submission_id, method,
                override_score, override_reason, overridden_by, overridden_at)
            VALUES ($1, $2, $3, 'override', $4, $5, $6, now())
            RETURNING submission_id, assignment_id, estimate, criteria, confidence, method,
                  n_reviews,
                  spread, doubt, doubtful, override_score, override_reason, final_score,
                  computed_at,
                  released_at""",
        course_id,
        assignment_id,
        submission_id,
        score,
        reason,
        by,
    )


async def release_grades(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> int:
    status = await conn.execute(
        """UPDATE pr_grades SET released_at = now()
            WHERE course_id = $1 AND assignment_id = $2 AND released_at IS NULL""",
        course_id,
        assignment_id,
    )
    return int(status.split()[-1])


async def select_release_scores(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, after_user: int, limit: int
):
    """Final score per learner (each team member gets the team's), keyset by user id."""
    return await conn.fetch(
        """SELECT u.user_id, g.final_score,
                  GREATEST(g.released_at, g.overridden_at) AS score_time
             FROM pr_grades g
             JOIN pr_submissions s ON s.course_id = g.course_id AND s.id = g.submission_id
             CROSS JOIN LATERAL (
                 SELECT s.author_id AS user_id WHERE s.team IS NULL
                 UNION
                 SELECT tm.user_id FROM pr_team_members tm
                  WHERE s.team IS NOT NULL AND tm.course_id = s.course_id
                    AND tm.assignment_id = s.assignment_id AND tm.team = s.team
             ) u
            WHERE g.course_id = $1 AND g.assignment_id = $2 AND g.final_score IS NOT NULL
              AND g.released_at IS NOT NULL AND u.user_id > $3
            ORDER BY u.user_id LIMIT $4""",
        course_id,
        assignment_id,
        after_user,
        limit,
    )


# ---- regrade requests ------------------------------------------------------------------------


async def insert_regrade(conn, course_id, assignment_id, submission_id, requester_id, reason):
    return await conn.fetchrow(
        """INSERT INTO pr_regrade_requests (course_id, assignment_id, submission_id,
               requester_id, reason)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (course_id, submission_id) WHERE state = 'open' DO NOTHING
           RETURNING id, submission_id, requester_id, reason, state, response, created_at""",
        course_id,
        assignment_id,
        submission_id,
        requester_id,
        reason,
    )


async def select_regrades(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, after_id: int, limit: int
):
    return await conn.fetch(
        """SELECT id, submission_id, requester_id, reason, state, response, created_at
             FROM pr_regrade_requests
            WHERE course_id = $1 AND assignment_id = $2 AND state = 'open' AND id > $3
            ORDER BY id LIMIT $4""",
        course_id,
        assignment_id,
        after_id,
        limit,
    )


async def resolve_regrades(conn, course_id: int, submission_id: int, response: str) -> None:
    await conn.execute(
        """UPDATE pr_regrade_requests SET state = 'resolved', response = $3, resolved_at = now()
            WHERE course_id = $1 AND submission_id = $2 AND state = 'open'""",
        course_id,
        submission_id,
        response,
    )
