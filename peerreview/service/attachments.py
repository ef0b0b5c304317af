"""Submission attachments (issue 13.10): files on a learner's (or team's) submission, in the
same object store as the forum's (agora.storage), with the same rules for what is accepted
(agora.media: type from the content, AGORA_ATTACHMENT_* size, count and quota) and the same
order of writes (checks, objects, rows; objects deleted if the rows fail; orphans swept), all
written once in agora.attachments; this module says which rows hold the files and who may
attach and see them.

Who sees a file is who sees the submission (rules.submission_access): its owner, staff, and the
reviewers it is allocated to. Reviews are blind, so nothing about a file names its author; only
the owner attaches, while they may still submit (their extension and the grace period count).
Downloads are signed per-viewer links, checked again when used (agora.media)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg
import msgspec

from agora import attachments as files
from agora import media, storage
from agora.errors import Forbidden, NotFound
from agora.media import Upload
from agora.sessions import Principal
from agora.settings import Settings
from peerreview import schemas as s
from peerreview.queries import attachments as attachment_sql
from peerreview.queries import submissions as submission_queries
from peerreview.queries.attachments import AttachmentRow
from peerreview.service import extensions
from peerreview.service.common import load_assignment
from peerreview.service.submissions import submission_access

MEDIA_PATH = "/media/submissions/"
# Object keys: review/<course_id>/<random>; the rows are this context's attachment queries.
FILES = files.Area(name="review", media_path=MEDIA_PATH, holder="submission", rows=attachment_sql)


async def views(
    conn: asyncpg.Connection, principal: Principal, rows: Sequence[AttachmentRow]
) -> list[s.SubmissionAttachmentRead]:
    urls = await files.signed_urls(conn, FILES, principal, [r.id for r in rows])
    return [
        s.SubmissionAttachmentRead(
            id=r.id,
            submission_id=r.submission_id,
            filename=r.filename,
            content_type=r.content_type,
            size_bytes=r.size_bytes,
            is_image=r.content_type in media.INLINE_TYPES,
            created_at=r.created_at,
            url=url,
        )  # fmt: skip
        for r, url in zip(rows, urls, strict=True)
    ]


async def visible_submission(
    conn: asyncpg.Connection, principal: Principal, submission_id: int
) -> tuple[asyncpg.Record, str]:
    """The submission and the viewer's access to it (404 if they have none)."""
    sub = await submission_queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such submission")
    await load_assignment(conn, principal, sub["assignment_id"])
    return sub, await submission_access(conn, principal, sub)


async def attach_files(
    conn: asyncpg.Connection,
    store: storage.Store,
    settings: Settings,
    principal: Principal,
    submission_id: int,
    uploads: Sequence[Upload],
) -> list[s.SubmissionAttachmentRead]:
    """Attach files to the viewer's own submission while they may still submit; all or none."""
    sub, access = await visible_submission(conn, principal, submission_id)
    if access != "owner":
        raise Forbidden("only the submission's author (or team) attaches files to it")
    assignment = await load_assignment(conn, principal, sub["assignment_id"])
    await extensions.check_can_submit(conn, principal, assignment)
    rows = await files.store_files(conn, store, settings, FILES, principal, submission_id, uploads)
    return await views(conn, principal, rows)


async def list_attachments(
    conn: asyncpg.Connection, principal: Principal, submission_id: int
) -> list[s.SubmissionAttachmentRead]:
    await visible_submission(conn, principal, submission_id)
    rows = await attachment_sql.select_submission_attachments(
        conn, principal.course_id, [submission_id]
    )
    return await views(conn, principal, rows)


async def open_link(
    conn: asyncpg.Connection, store: storage.Store, token: str
) -> tuple[AttachmentRow, bytes]:
    """The file a signed link names, if genuine, unexpired, and its viewer may still see the
    submission (their role read again)."""
    viewer, attachment_id = await files.link_viewer(conn, FILES, token)
    row = await attachment_sql.select_attachment(conn, viewer.course_id, attachment_id)
    if row is None:
        raise NotFound("no such file")
    await visible_submission(conn, viewer, row.submission_id)
    return row, await files.read_object(store, FILES, row.id, row.object_key)


async def sweep_orphans(
    conn: asyncpg.Connection, store: storage.Store, *, age: timedelta = storage.ORPHAN_AGE
) -> int:
    """Delete stored submission files older than `age` that have no row."""
    return await files.sweep_orphans(conn, store, FILES, age=age)


async def with_files(
    conn: asyncpg.Connection, principal: Principal, submission: s.SubmissionRead | None
) -> s.SubmissionRead | None:
    """The submission (one the viewer already reads) with its files, for a page."""
    if submission is None:
        return None
    rows = await attachment_sql.select_submission_attachments(
        conn, principal.course_id, [submission.id]
    )
    if not rows:
        return submission
    return msgspec.structs.replace(submission, attachments=await views(conn, principal, rows))
