"""A post's revisions (the text each edit replaced) and their redaction by staff."""

from __future__ import annotations

import asyncpg

from forum.rules import REDACTING_REASON_CODES


async def select_revisions(
    conn: asyncpg.Connection, course_id: int, post_id: int, *, after_id: int, limit: int
) -> list[asyncpg.Record]:
    """A page of the post's revisions, oldest first, each saying whether it was redacted or
    lies at or before a redacting edit (forum.rules.can_see_revision_text decides the rest)."""
    return await conn.fetch(
        """SELECT r.id, r.editor_id, r.reason, r.reason_code, r.title, r.body, r.created_at,
                  r.redacted_at IS NOT NULL AS redacted, r.redaction_reason,
                  r.id <= coalesce((SELECT max(x.id) FROM forum_revisions x
                                     WHERE x.course_id = r.course_id AND x.post_id = r.post_id
                                       AND x.reason_code = ANY($3::text[])), 0)
                     AS before_redacting_edit,
                  u.name AS editor_name, m.role AS editor_role
             FROM forum_revisions r
             JOIN users u ON u.id = r.editor_id
             LEFT JOIN memberships m ON m.course_id = r.course_id AND m.user_id = r.editor_id
            WHERE r.course_id = $1 AND r.post_id = $2 AND r.id > $4
            ORDER BY r.id LIMIT $5""",
        course_id,
        post_id,
        list(REDACTING_REASON_CODES),
        after_id,
        limit,
    )


async def select_revision(
    conn: asyncpg.Connection, course_id: int, post_id: int, revision_id: int
) -> asyncpg.Record | None:
    rows = await select_revisions(conn, course_id, post_id, after_id=revision_id - 1, limit=1)
    return rows[0] if rows and rows[0]["id"] == revision_id else None


async def update_revision_redacted(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    revision_id: int,
    *,
    redacted_by: int,
    reason: str,
) -> bool:
    """Redact (again: the new reason replaces the old); False if no such revision of the post."""
    status = await conn.execute(
        """UPDATE forum_revisions
              SET redacted_by = $4, redacted_at = now(), redaction_reason = $5
            WHERE course_id = $1 AND post_id = $2 AND id = $3""",
        course_id,
        post_id,
        revision_id,
        redacted_by,
        reason,
    )
    return status.endswith(" 1")
