"""Attachments: the rows that say what each stored file is, whose post it is on, and its size
(the forum's agora.attachments.AttachmentRows, through which the shared upload code works)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec


class AttachmentRow(msgspec.Struct, kw_only=True):
    id: int
    post_id: int
    uploader_id: int
    object_key: str
    filename: str
    content_type: str
    size_bytes: int
    created_at: datetime


COLUMNS = "id, post_id, uploader_id, object_key, filename, content_type, size_bytes, created_at"


async def insert_attachment(
    conn: asyncpg.Connection,
    course_id: int,
    post_id: int,
    *,
    uploader_id: int,
    object_key: str,
    filename: str,
    content_type: str,
    size_bytes: int,
) -> AttachmentRow:
    row = await conn.fetchrow(
        f"""INSERT INTO forum_attachments
                   (course_id, post_id, uploader_id, object_key, filename, content_type, size_bytes)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            RETURNING {COLUMNS}""",  # noqa: S608 - a constant column list, no input
        course_id, post_id, uploader_id, object_key, filename, content_type, size_bytes,
    )  # fmt: skip
    assert row is not None  # INSERT ... RETURNING always returns the row
    return AttachmentRow(**row)


async def select_attachment(
    conn: asyncpg.Connection, course_id: int, attachment_id: int
) -> AttachmentRow | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM forum_attachments WHERE course_id = $1 AND id = $2",  # noqa: S608
        course_id,
        attachment_id,
    )
    return None if row is None else AttachmentRow(**row)


async def select_post_attachments(
    conn: asyncpg.Connection, course_id: int, post_ids: list[int]
) -> list[AttachmentRow]:
    """The attachments of these posts (a page of a thread), oldest first, in one range scan each."""
    rows = await conn.fetch(
        f"""SELECT {COLUMNS} FROM forum_attachments
             WHERE course_id = $1 AND post_id = ANY($2::bigint[])
             ORDER BY post_id, id""",  # noqa: S608
        course_id,
        post_ids,
    )
    return [AttachmentRow(**r) for r in rows]


async def count_attachments(conn: asyncpg.Connection, course_id: int, post_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM forum_attachments WHERE course_id = $1 AND post_id = $2",
        course_id,
        post_id,
    )
    return count


async def lock_uploader(conn: asyncpg.Connection, course_id: int, user_id: int) -> None:
    """Serialise a member's uploads in a course until the transaction ends, so two uploads at
    once cannot both fit in the quota that only one fits in."""
    await conn.execute(
        """SELECT pg_advisory_xact_lock(hashtextextended(
                      'forum_attachments:' || $1::bigint || ':' || $2::bigint, 0))""",
        course_id,
        user_id,
    )


async def select_used_bytes(conn: asyncpg.Connection, course_id: int, user_id: int) -> int:
    used: int = await conn.fetchval(
        """SELECT coalesce(sum(size_bytes), 0)::bigint FROM forum_attachments
            WHERE course_id = $1 AND uploader_id = $2""",
        course_id,
        user_id,
    )
    return used


async def delete_attachment(conn: asyncpg.Connection, course_id: int, attachment_id: int) -> bool:
    """Forget the row; its object has no row any more and goes with the next sweep."""
    status: str = await conn.execute(
        "DELETE FROM forum_attachments WHERE course_id = $1 AND id = $2", course_id, attachment_id
    )
    return status == "DELETE 1"


async def select_known_keys(
    conn: asyncpg.Connection, course_ids: list[int], keys: list[str]
) -> set[str]:
    """Which of these (course, key) pairs still have a row (the orphan sweep keeps those)."""
    rows = await conn.fetch(
        """SELECT a.object_key
             FROM unnest($1::bigint[], $2::text[]) AS k (course_id, object_key)
             JOIN forum_attachments a
               ON a.course_id = k.course_id AND a.object_key = k.object_key""",
        course_ids,
        keys,
    )
    return {r["object_key"] for r in rows}
