"""SQL of per-learner extensions: a new due date for one learner in one assignment."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def upsert_extension(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    user_id: int,
    due_at: datetime,
    reason: str,
    granted_by: int,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO pr_extensions (course_id, assignment_id, user_id, due_at, reason,
                granted_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (course_id, assignment_id, user_id) DO UPDATE
              SET due_at = EXCLUDED.due_at, reason = EXCLUDED.reason,
                  granted_by = EXCLUDED.granted_by, granted_at = now()
           RETURNING assignment_id, user_id, due_at, reason, granted_at""",
        course_id,
        assignment_id,
        user_id,
        due_at,
        reason,
        granted_by,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    return row


async def select_submit_windows(
    conn: asyncpg.Connection, course_id: int, assignment_ids: list[int], user_id: int
) -> list[asyncpg.Record]:
    """For each assignment, what decides whether this learner may still submit: their
    extension's due date (NULL: none) and the late-work policy (NULL: no schedule set, the
    defaults apply). One statement for a page of assignments."""
    return await conn.fetch(
        """SELECT a.id AS assignment_id, e.due_at AS extension_due, sc.grace_minutes,
                  sc.accept_late
             FROM unnest($2::bigint[]) AS a(id)
             LEFT JOIN pr_extensions e ON e.course_id = $1 AND e.assignment_id = a.id
                  AND e.user_id = $3
             LEFT JOIN pr_schedules sc ON sc.course_id = $1 AND sc.assignment_id = a.id""",
        course_id,
        assignment_ids,
        user_id,
    )


async def delete_extension(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, user_id: int
) -> bool:
    status = await conn.execute(
        """DELETE FROM pr_extensions
            WHERE course_id = $1 AND assignment_id = $2 AND user_id = $3""",
        course_id,
        assignment_id,
        user_id,
    )
    return status != "DELETE 0"


async def select_extension(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, user_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT assignment_id, user_id, due_at, reason, granted_at FROM pr_extensions
            WHERE course_id = $1 AND assignment_id = $2 AND user_id = $3""",
        course_id,
        assignment_id,
        user_id,
    )


async def select_extensions(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, limit: int
) -> list[asyncpg.Record]:
    """The assignment's extensions with each learner's name and email, latest due first."""
    return await conn.fetch(
        """SELECT e.assignment_id, e.user_id, e.due_at, e.reason, e.granted_at,
                  u.name, u.email
             FROM pr_extensions e JOIN users u ON u.id = e.user_id
            WHERE e.course_id = $1 AND e.assignment_id = $2
            ORDER BY e.due_at DESC, e.user_id LIMIT $3""",
        course_id,
        assignment_id,
        limit,
    )


async def select_learner_choices(
    conn: asyncpg.Connection, course_id: int, limit: int
) -> list[asyncpg.Record]:
    """Active learners of the course by name (the extension form's list)."""
    return await conn.fetch(
        """SELECT u.id, u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 AND m.role = 'learner' AND m.active
            ORDER BY u.name, u.id LIMIT $2""",
        course_id,
        limit,
    )


async def is_learner(conn: asyncpg.Connection, course_id: int, user_id: int) -> bool:
    found = await conn.fetchval(
        """SELECT true FROM memberships
            WHERE course_id = $1 AND user_id = $2 AND role = 'learner' AND active""",
        course_id,
        user_id,
    )
    return bool(found)
