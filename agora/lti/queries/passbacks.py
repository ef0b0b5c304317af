"""Score passback through AGS: one row per (course, resource, user) with a version, so a job never
marks a newer score as sent; and the line items found or created on the platform."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def upsert_score_passback(
    conn: asyncpg.Connection,
    course_id: int,
    resource_id: str,
    user_id: int,
    *,
    label: str,
    score_maximum: float,
    score_given: float,
    comment: str,
    timestamp: datetime,
) -> int | None:
    """Record the score as pending; its new version, or None when nothing changed: an older
    score, or the same one again while pending or sent (the same one after a failure is a
    retry)."""
    version: int | None = await conn.fetchval(
        """INSERT INTO lti_score_passbacks AS p (course_id, resource_id, user_id, label,
                   score_maximum, score_given, comment, score_timestamp)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (course_id, resource_id, user_id) DO UPDATE
              SET label = EXCLUDED.label, score_maximum = EXCLUDED.score_maximum,
                  score_given = EXCLUDED.score_given, comment = EXCLUDED.comment,
                  score_timestamp = EXCLUDED.score_timestamp, status = 'pending',
                  attempts = 0, last_error = NULL, version = p.version + 1, updated_at = now()
            WHERE EXCLUDED.score_timestamp > p.score_timestamp
               OR (EXCLUDED.score_timestamp = p.score_timestamp
                   AND (p.status IN ('failed', 'no_endpoint')
                        OR EXCLUDED.score_given <> p.score_given
                        OR EXCLUDED.score_maximum <> p.score_maximum
                        OR EXCLUDED.comment <> p.comment))
           RETURNING version""",
        course_id,
        resource_id,
        user_id,
        label,
        score_maximum,
        score_given,
        comment,
        timestamp,
    )
    return version


async def select_passback_status(
    conn: asyncpg.Connection, course_id: int, resource_id: str
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT user_id, status, attempts, last_error, score_given, updated_at
             FROM lti_score_passbacks WHERE course_id = $1 AND resource_id = $2
            ORDER BY user_id""",
        course_id,
        resource_id,
    )


async def select_passback(
    conn: asyncpg.Connection, course_id: int, resource_id: str, user_id: int
) -> asyncpg.Record | None:
    """The passback row with the user's platform `sub`."""
    return await conn.fetchrow(
        """SELECT p.*, u.sub FROM lti_score_passbacks p JOIN users u ON u.id = p.user_id
            WHERE p.course_id = $1 AND p.resource_id = $2 AND p.user_id = $3""",
        course_id,
        resource_id,
        user_id,
    )


async def update_passback_status(
    conn: asyncpg.Connection,
    course_id: int,
    resource_id: str,
    user_id: int,
    *,
    version: int,
    status: str,
    error: str | None,
) -> None:
    """Set the status of that version of the score (a newer version is left alone); a send or
    a failure counts as an attempt."""
    await conn.execute(
        """UPDATE lti_score_passbacks
              SET status = $5, last_error = $6, updated_at = now(),
                  attempts = attempts + CASE WHEN $5 IN ('sent', 'failed') THEN 1 ELSE 0 END,
                  sent_at = CASE WHEN $5 = 'sent' THEN now() ELSE sent_at END
            WHERE course_id = $1 AND resource_id = $2 AND user_id = $3 AND version = $4""",
        course_id,
        resource_id,
        user_id,
        version,
        status,
        error,
    )


async def requeue_passbacks_without_endpoint(
    conn: asyncpg.Connection, course_id: int, limit: int
) -> list[asyncpg.Record]:
    """Back to pending: scores recorded before any launch carried an AGS endpoint."""
    return await conn.fetch(
        """UPDATE lti_score_passbacks SET status = 'pending', last_error = NULL, updated_at = now()
            WHERE (course_id, resource_id, user_id) IN (
                  SELECT course_id, resource_id, user_id FROM lti_score_passbacks
                   WHERE course_id = $1 AND status = 'no_endpoint' LIMIT $2)
           RETURNING resource_id, user_id""",
        course_id,
        limit,
    )


async def select_ags_endpoint(conn: asyncpg.Connection, course_id: int) -> asyncpg.Record | None:
    """lineitems_url and ags_scopes of the course's most recently launched link that has one."""
    return await conn.fetchrow(
        """SELECT lineitems_url, ags_scopes FROM lti_resource_links
            WHERE course_id = $1 AND lineitems_url IS NOT NULL
            ORDER BY updated_at DESC LIMIT 1""",
        course_id,
    )


async def select_line_item_url(
    conn: asyncpg.Connection, course_id: int, resource_id: str
) -> str | None:
    url: str | None = await conn.fetchval(
        "SELECT lineitem_url FROM lti_line_items WHERE course_id = $1 AND resource_id = $2",
        course_id,
        resource_id,
    )
    return url


async def insert_line_item(
    conn: asyncpg.Connection,
    course_id: int,
    resource_id: str,
    *,
    lineitems_url: str,
    lineitem_url: str,
    label: str,
    score_maximum: float,
) -> None:
    await conn.execute(
        """INSERT INTO lti_line_items (course_id, resource_id, lineitems_url,
                   lineitem_url, label, score_maximum)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        course_id,
        resource_id,
        lineitems_url,
        lineitem_url,
        label,
        score_maximum,
    )


async def upsert_score_passbacks(
    conn: asyncpg.Connection,
    course_id: int,
    resource_id: str,
    *,
    label: str,
    score_maximum: float,
    users: list[int],
    scores: list[float],
    timestamps: list[datetime],
    batch: int,
    job: str,
    notify_channel: str,
) -> tuple[int, int]:
    """Many scores of one line item in one statement: record each as pending (the rule of
    `upsert_score_passback`, row by row), then write one outbox job (`job`) per `batch` of the
    users whose score changed, with the relay's wake-up. Returns (changed scores, jobs).

    `users` must be distinct (one row may not be updated twice by one statement)."""
    row = await conn.fetchrow(
        """WITH changed AS (
               INSERT INTO lti_score_passbacks AS p (course_id, resource_id, user_id, label,
                      score_maximum, score_given, comment, score_timestamp)
               SELECT $1, $2, x.u, $3, $4, x.s, '', x.t
                 FROM unnest($5::bigint[], $6::float8[], $7::timestamptz[]) AS x(u, s, t)
               ON CONFLICT (course_id, resource_id, user_id) DO UPDATE
                  SET label = EXCLUDED.label, score_maximum = EXCLUDED.score_maximum,
                      score_given = EXCLUDED.score_given, comment = EXCLUDED.comment,
                      score_timestamp = EXCLUDED.score_timestamp, status = 'pending',
                      attempts = 0, last_error = NULL, version = p.version + 1,
                      updated_at = now()
                WHERE EXCLUDED.score_timestamp > p.score_timestamp
                   OR (EXCLUDED.score_timestamp = p.score_timestamp
                       AND (p.status IN ('failed', 'no_endpoint')
                            OR EXCLUDED.score_given <> p.score_given
                            OR EXCLUDED.score_maximum <> p.score_maximum
                            OR EXCLUDED.comment <> p.comment))
               RETURNING user_id),
           batches AS (
               SELECT array_agg(user_id ORDER BY user_id) AS users
                 FROM (SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1) / $8 AS b
                         FROM changed) c
                GROUP BY b),
           jobs AS (
               INSERT INTO outbox (course_id, job, args)
               SELECT $1, $9, jsonb_build_array($1::bigint, $2::text, to_jsonb(users))
                 FROM batches
               RETURNING id)
           SELECT (SELECT count(*) FROM changed) AS changed, (SELECT count(*) FROM jobs) AS jobs
             FROM pg_notify($10, '')""",
        course_id,
        resource_id,
        label,
        score_maximum,
        users,
        scores,
        timestamps,
        batch,
        job,
        notify_channel,
    )
    assert row is not None  # a SELECT of scalar subqueries over one function row: one row
    return int(row["changed"]), int(row["jobs"])


async def select_passbacks(
    conn: asyncpg.Connection, course_id: int, resource_id: str, users: list[int]
) -> list[asyncpg.Record]:
    """The passback rows of these users not sent yet, with each user's platform `sub`."""
    return await conn.fetch(
        """SELECT p.user_id, p.version, p.score_given, p.score_maximum, p.comment,
                  p.score_timestamp, p.label, u.sub
             FROM lti_score_passbacks p JOIN users u ON u.id = p.user_id
            WHERE p.course_id = $1 AND p.resource_id = $2 AND p.user_id = ANY($3::bigint[])
              AND p.status <> 'sent'
            ORDER BY p.user_id""",
        course_id,
        resource_id,
        users,
    )


async def update_passback_statuses(
    conn: asyncpg.Connection,
    course_id: int,
    resource_id: str,
    *,
    users: list[int],
    versions: list[int],
    statuses: list[str],
    errors: list[str | None],
) -> None:
    """`update_passback_status` for many rows in one statement (a newer version is left alone)."""
    await conn.execute(
        """UPDATE lti_score_passbacks p
              SET status = x.st, last_error = x.e, updated_at = now(),
                  attempts = p.attempts + CASE WHEN x.st IN ('sent', 'failed') THEN 1 ELSE 0 END,
                  sent_at = CASE WHEN x.st = 'sent' THEN now() ELSE p.sent_at END
             FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[]) AS x(u, v, st, e)
            WHERE p.course_id = $1 AND p.resource_id = $2 AND p.user_id = x.u
              AND p.version = x.v""",
        course_id,
        resource_id,
        users,
        versions,
        statuses,
        errors,
    )
