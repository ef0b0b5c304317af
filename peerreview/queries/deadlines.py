"""SQL of deadlines: each assignment's schedule and late-work policy, the assignments whose phase
switch is due, deadline reminders, and the late penalty written into the grades."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

SCHEDULE_DEFAULTS = {
    "opens_at": None,
    "release_at": None,
    "grace_minutes": 0,
    "accept_late": False,
    "penalty_per_day": 0.0,
    "penalty_max": 100.0,
    "remind_hours": 24,
}


async def select_schedule(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> dict[str, Any]:
    """The assignment's schedule and policy (the defaults when none was set)."""
    row = await conn.fetchrow(
        """SELECT opens_at, release_at, grace_minutes, accept_late, penalty_per_day,
                  penalty_max, remind_hours
             FROM pr_schedules WHERE course_id = $1 AND assignment_id = $2""",
        course_id,
        assignment_id,
    )
    return dict(row) if row is not None else dict(SCHEDULE_DEFAULTS)


async def upsert_schedule(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    opens_at: datetime | None,
    release_at: datetime | None,
    grace_minutes: int,
    accept_late: bool,
    penalty_per_day: float,
    penalty_max: float,
    remind_hours: int,
) -> None:
    await conn.execute(
        """INSERT INTO pr_schedules (course_id, assignment_id, opens_at, release_at,
                grace_minutes, accept_late, penalty_per_day, penalty_max, remind_hours)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (course_id, assignment_id) DO UPDATE
              SET opens_at = EXCLUDED.opens_at, release_at = EXCLUDED.release_at,
                  grace_minutes = EXCLUDED.grace_minutes, accept_late = EXCLUDED.accept_late,
                  penalty_per_day = EXCLUDED.penalty_per_day,
                  penalty_max = EXCLUDED.penalty_max, remind_hours = EXCLUDED.remind_hours,
                  updated_at = now()""",
        course_id,
        assignment_id,
        opens_at,
        release_at,
        grace_minutes,
        accept_late,
        penalty_per_day,
        penalty_max,
        remind_hours,
    )


# ---- due switches ---------------------------------------------------------------------------

# Each assignment whose next phase is due at `$1`, with that phase, locked (a concurrent run skips
# it and the phase is checked again under the lock, so two runs never switch one twice). The
# partial indexes of migration 0018 serve the submission and review scans.
SELECT_DUE = """
SELECT a.course_id, a.id, 'submission' AS phase
  FROM pr_assignments a
  JOIN pr_schedules sc ON sc.course_id = a.course_id AND sc.assignment_id = a.id
 WHERE a.phase = 'draft' AND sc.opens_at <= $1
UNION ALL
SELECT a.course_id, a.id, 'review'
  FROM pr_assignments a
  LEFT JOIN pr_schedules sc ON sc.course_id = a.course_id AND sc.assignment_id = a.id
 WHERE a.phase = 'submission' AND a.submission_deadline <= $1
   AND a.submission_deadline + make_interval(mins => COALESCE(sc.grace_minutes, 0)) <= $1
UNION ALL
SELECT a.course_id, a.id, 'grading'
  FROM pr_assignments a
 WHERE a.phase = 'review' AND a.review_deadline <= $1
UNION ALL
SELECT a.course_id, a.id, 'released'
  FROM pr_assignments a
  JOIN pr_schedules sc ON sc.course_id = a.course_id AND sc.assignment_id = a.id
 WHERE a.phase = 'grading' AND sc.release_at <= $1 AND a.graded_at IS NOT NULL
   -- the grades are newer than every review: the grading run the switch queued has finished
   AND a.graded_at >= COALESCE(
       (SELECT max(r.updated_at) FROM pr_reviews r
         WHERE r.course_id = a.course_id AND r.assignment_id = a.id), '-infinity')
 ORDER BY 1, 2
 LIMIT $2"""


async def select_due_switches(
    conn: asyncpg.Connection, at: datetime, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_DUE, at, limit)


async def lock_assignment(conn: asyncpg.Connection, course_id: int, assignment_id: int) -> bool:
    """Lock the assignment row for this transaction; False if another run holds it."""
    locked = await conn.fetchval(
        """SELECT true FROM pr_assignments WHERE course_id = $1 AND id = $2
            FOR UPDATE SKIP LOCKED""",
        course_id,
        assignment_id,
    )
    return bool(locked)


# ---- reminders ------------------------------------------------------------------------------

# Learners who have not submitted, a reminder per learner and due time (their extension, else
# the deadline) once it is less than remind_hours away; then reviewers short of their reviews.
# The unique key makes a rerun insert nothing.
INSERT_REMINDERS = """
WITH subs AS (
    INSERT INTO pr_reminders (course_id, assignment_id, user_id, kind, due_at)
    SELECT a.course_id, a.id, m.user_id, 'submission', d.due
      FROM pr_assignments a
      LEFT JOIN pr_schedules sc ON sc.course_id = a.course_id AND sc.assignment_id = a.id
      JOIN memberships m ON m.course_id = a.course_id AND m.role = 'learner' AND m.active
      LEFT JOIN pr_extensions e ON e.course_id = a.course_id AND e.assignment_id = a.id
           AND e.user_id = m.user_id
      LEFT JOIN pr_team_members tm ON tm.course_id = a.course_id AND tm.assignment_id = a.id
           AND tm.user_id = m.user_id
      CROSS JOIN LATERAL (SELECT COALESCE(e.due_at, a.submission_deadline) AS due) d
     WHERE a.phase IN ('submission', 'review') AND COALESCE(sc.remind_hours, 24) > 0
       AND d.due > $1 AND d.due <= $1 + make_interval(hours => COALESCE(sc.remind_hours, 24))
       AND NOT EXISTS (SELECT 1 FROM pr_submissions s
                        WHERE s.course_id = a.course_id AND s.assignment_id = a.id
                          AND s.owner_key IN ('u:' || m.user_id, 't:' || tm.team))
    ON CONFLICT DO NOTHING
    RETURNING course_id, assignment_id),
revs AS (
    INSERT INTO pr_reminders (course_id, assignment_id, user_id, kind, due_at)
    SELECT a.course_id, a.id, s.author_id, 'review', a.review_deadline
      FROM pr_assignments a
      LEFT JOIN pr_schedules sc ON sc.course_id = a.course_id AND sc.assignment_id = a.id
      JOIN pr_submissions s ON s.course_id = a.course_id AND s.assignment_id = a.id
     WHERE a.phase = 'review' AND COALESCE(sc.remind_hours, 24) > 0
       AND a.review_deadline > $1
       AND a.review_deadline <= $1 + make_interval(hours => COALESCE(sc.remind_hours, 24))
       AND (SELECT count(*) FROM pr_reviews r
             WHERE r.course_id = a.course_id AND r.assignment_id = a.id
               AND r.reviewer_id = s.author_id AND NOT r.by_staff) < a.reviews_required
    ON CONFLICT DO NOTHING
    RETURNING course_id, assignment_id)
SELECT course_id, assignment_id, count(*) AS n
  FROM (SELECT * FROM subs UNION ALL SELECT * FROM revs) x
 GROUP BY course_id, assignment_id"""


async def insert_reminders(conn: asyncpg.Connection, at: datetime) -> list[asyncpg.Record]:
    """The reminders due at `at`, written once; how many per assignment."""
    return await conn.fetch(INSERT_REMINDERS, at)


# A reminder still stands while its due time is the learner's current one, in the future, and
# (submission reminders) nothing is submitted yet: a moved deadline or an extension voids it.
STANDING = """
   AND r.due_at > now()
   AND CASE r.kind
       WHEN 'review' THEN a.phase = 'review' AND r.due_at = a.review_deadline
       ELSE a.phase IN ('submission', 'review')
            AND r.due_at = COALESCE(
                (SELECT e.due_at FROM pr_extensions e
                  WHERE e.course_id = r.course_id AND e.assignment_id = r.assignment_id
                    AND e.user_id = r.user_id), a.submission_deadline)
            AND NOT EXISTS (SELECT 1 FROM pr_submissions s
                             WHERE s.course_id = r.course_id
                               AND s.assignment_id = r.assignment_id
                               AND s.author_id = r.user_id)
       END"""


SELECT_REMINDERS = """
SELECT r.id, r.assignment_id, a.title, r.kind, r.due_at, r.created_at,
       r.read_at IS NOT NULL AS read
  FROM pr_reminders r
  JOIN pr_assignments a ON a.course_id = r.course_id AND a.id = r.assignment_id
 WHERE r.course_id = $1 AND r.user_id = $2 AND r.read_at IS NULL
   AND ($3::bigint IS NULL OR r.assignment_id = $3)@STANDING@
 ORDER BY r.id DESC LIMIT $4""".replace("@STANDING@", STANDING)
CLAIM_REMINDERS = """WITH picked AS (
               SELECT r.id FROM pr_reminders r
                 JOIN pr_assignments a ON a.course_id = r.course_id AND a.id = r.assignment_id
                WHERE r.course_id = $1 AND r.assignment_id = $2 AND r.emailed_at IS NULL@STANDING@
                ORDER BY r.id LIMIT $3 FOR UPDATE OF r SKIP LOCKED),
           sent AS (
               UPDATE pr_reminders r SET emailed_at = now() FROM picked
                WHERE r.course_id = $1 AND r.id = picked.id
            RETURNING r.id, r.user_id, r.kind, r.due_at)
           SELECT sent.id, sent.kind, sent.due_at, u.name, u.email, u.locale AS user_locale,
                  a.title, c.title AS course_title, c.language AS course_language
             FROM sent
             JOIN users u ON u.id = sent.user_id
             JOIN pr_assignments a ON a.course_id = $1 AND a.id = $2
             JOIN courses c ON c.id = $1
            ORDER BY sent.id""".replace("@STANDING@", STANDING)


async def select_reminders(
    conn: asyncpg.Connection, course_id: int, user_id: int, *, assignment_id: int | None, limit: int
) -> list[asyncpg.Record]:
    """The learner's unread reminders that still stand, newest first (of one assignment, or
    all)."""
    return await conn.fetch(
        SELECT_REMINDERS,
        course_id,
        user_id,
        assignment_id,
        limit,
    )


async def update_reminders_read(
    conn: asyncpg.Connection, course_id: int, user_id: int, ids: list[int]
) -> int:
    status = await conn.execute(
        """UPDATE pr_reminders SET read_at = now()
            WHERE course_id = $1 AND user_id = $2 AND id = ANY($3::bigint[])
              AND read_at IS NULL""",
        course_id,
        user_id,
        ids,
    )
    return int(status.split()[-1])


async def claim_unsent_reminders(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, limit: int
) -> list[asyncpg.Record]:
    """Mark up to `limit` reminders of the assignment emailed and return them with their
    recipient: called in a transaction committed before sending, so no reminder is emailed
    twice (SKIP LOCKED: a concurrent run takes others)."""
    return await conn.fetch(
        CLAIM_REMINDERS,
        course_id,
        assignment_id,
        limit,
    )


async def update_reminders_unclaimed(
    conn: asyncpg.Connection, course_id: int, ids: list[int]
) -> None:
    """Give claimed reminders back to the next run (their email could not be sent)."""
    await conn.execute(
        "UPDATE pr_reminders SET emailed_at = NULL WHERE course_id = $1 AND id = ANY($2::bigint[])",
        course_id,
        ids,
    )


# ---- late penalties -------------------------------------------------------------------------

# Each submission's penalty as a fraction: nothing on time or within the grace period, else the
# penalty per started day past the learner's due date (their extension, else the deadline),
# capped. peerreview.service.extensions.penalty_percent is the same rule in Python.
UPDATE_PENALTIES = """
UPDATE pr_grades g SET late_penalty = p.penalty
  FROM (SELECT s.id,
               CASE WHEN d.due IS NULL OR sc.assignment_id IS NULL
                         OR s.updated_at <= d.due + make_interval(mins => sc.grace_minutes)
                    THEN 0
                    ELSE LEAST(sc.penalty_max, sc.penalty_per_day
                               * ceil(extract(epoch FROM s.updated_at - d.due) / 86400)) / 100
               END AS penalty
          FROM pr_submissions s
          JOIN pr_assignments a ON a.course_id = s.course_id AND a.id = s.assignment_id
          LEFT JOIN pr_schedules sc ON sc.course_id = s.course_id
               AND sc.assignment_id = s.assignment_id
          LEFT JOIN pr_extensions e ON e.course_id = s.course_id
               AND e.assignment_id = s.assignment_id AND e.user_id = s.author_id
          CROSS JOIN LATERAL (SELECT COALESCE(e.due_at, a.submission_deadline) AS due) d
         WHERE s.course_id = $1 AND s.assignment_id = $2) p
 WHERE g.course_id = $1 AND g.submission_id = p.id
   AND g.late_penalty IS DISTINCT FROM p.penalty"""


async def update_late_penalties(
    conn: asyncpg.Connection, course_id: int, assignment_id: int
) -> int:
    """Write every grade's late penalty of the assignment (set-based); how many changed."""
    status = await conn.execute(UPDATE_PENALTIES, course_id, assignment_id)
    return int(status.split()[-1])


async def select_grade_penalty(
    conn: asyncpg.Connection, course_id: int, submission_id: int
) -> float | None:
    penalty: float | None = await conn.fetchval(
        "SELECT late_penalty FROM pr_grades WHERE course_id = $1 AND submission_id = $2",
        course_id,
        submission_id,
    )
    return penalty
