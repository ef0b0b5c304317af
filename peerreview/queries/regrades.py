"""SQL of regrade requests: a learner asks the staff to look again at a released grade; staff
answer one (accepted with a new score, or rejected with a reason), and a plain override resolves
every open request of that submission."""

from __future__ import annotations

import asyncpg


async def insert_regrade(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    submission_id: int,
    *,
    requester_id: int,
    reason: str,
) -> asyncpg.Record | None:
    """The new open request; None if one is already open for this submission."""
    return await conn.fetchrow(
        """INSERT INTO pr_regrade_requests (course_id, assignment_id, submission_id,
               requester_id, reason)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (course_id, submission_id) WHERE state = 'open' DO NOTHING
           RETURNING id, submission_id, requester_id, reason, state, response, new_score,
                     created_at, resolved_at""",
        course_id,
        assignment_id,
        submission_id,
        requester_id,
        reason,
    )


async def select_regrades(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, after_id: int, limit: int
) -> list[asyncpg.Record]:
    """Open requests, oldest first, with the requester's name and email (for staff)."""
    return await conn.fetch(
        """SELECT r.id, r.submission_id, r.requester_id, r.reason, r.state, r.response,
                  r.new_score, r.created_at, r.resolved_at, u.name AS requester_name,
                  u.email AS requester_email
             FROM pr_regrade_requests r JOIN users u ON u.id = r.requester_id
            WHERE r.course_id = $1 AND r.assignment_id = $2 AND r.state = 'open' AND r.id > $3
            ORDER BY r.id LIMIT $4""",
        course_id,
        assignment_id,
        after_id,
        limit,
    )


async def resolve_regrades(
    conn: asyncpg.Connection, course_id: int, submission_id: int, response: str
) -> None:
    await conn.execute(
        """UPDATE pr_regrade_requests SET state = 'resolved', response = $3, resolved_at = now()
            WHERE course_id = $1 AND submission_id = $2 AND state = 'open'""",
        course_id,
        submission_id,
        response,
    )


async def lock_regrade(
    conn: asyncpg.Connection, course_id: int, regrade_id: int
) -> asyncpg.Record | None:
    """The request with its assignment, locked: two staff answering at once cannot both win."""
    return await conn.fetchrow(
        """SELECT assignment_id, id, submission_id, requester_id, reason, state, response,
                  new_score, created_at, resolved_at
             FROM pr_regrade_requests
            WHERE course_id = $1 AND id = $2 FOR UPDATE""",
        course_id,
        regrade_id,
    )


async def answer_regrade(
    conn: asyncpg.Connection,
    course_id: int,
    regrade_id: int,
    *,
    state: str,
    response: str,
    new_score: float | None,
    by: int,
) -> asyncpg.Record | None:
    """Record the staff's answer on an open request; None if it was answered already."""
    return await conn.fetchrow(
        """UPDATE pr_regrade_requests
              SET state = $3, response = $4, new_score = $5, answered_by = $6,
                  resolved_at = now()
            WHERE course_id = $1 AND id = $2 AND state = 'open'
        RETURNING id, submission_id, requester_id, reason, state, response, new_score,
                  created_at, resolved_at""",
        course_id,
        regrade_id,
        state,
        response,
        new_score,
        by,
    )


async def select_latest_regrade(
    conn: asyncpg.Connection, course_id: int, submission_id: int
) -> asyncpg.Record | None:
    """The submission's most recent request (its author's grade page shows its answer)."""
    return await conn.fetchrow(
        """SELECT id, submission_id, requester_id, reason, state, response, new_score,
                  created_at, resolved_at
             FROM pr_regrade_requests
            WHERE course_id = $1 AND submission_id = $2 ORDER BY id DESC LIMIT 1""",
        course_id,
        submission_id,
    )
