"""Submission attachments (issue 13.10): files on a learner's (or team's) submission, in the
same object store as the forum's (agora.storage), with the same rules for what is accepted
(agora.media: type from the content, AGORA_ATTACHMENT_* size, count and quota) and the same
order of writes (checks, objects, rows; objects deleted if the rows fail; orphans swept).

Who sees a file is who sees the submission (rules.submission_access): its owner, staff, and the
reviewers it is allocated to. Reviews are blind, so nothing about a file names its author; only
the owner attaches, while they may still submit (their extension and the grace period count).
Downloads are signed per-viewer links, checked again when used (agora.media)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import asyncpg
import msgspec

from agora import media, storage
from agora.errors import Forbidden, NotFound, TooLarge, Unprocessable, UnsupportedType
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

log = logging.getLogger("peerreview.attachments")

AREA = "review"  # object keys: review/<course_id>/<random>
MEDIA_PATH = "/media/submissions/"


async def link_key(conn: asyncpg.Connection) -> bytes:
    key: bytes | None = await conn.fetchval(
        "SELECT value FROM app_secrets WHERE name = 'link_signing'"
    )
    if key is None:
        from agora.mail import signing_key

        key = await signing_key(conn)
    return key


async def views(
    conn: asyncpg.Connection, principal: Principal, rows: Sequence[AttachmentRow]
) -> list[s.SubmissionAttachmentRead]:
    if not rows:
        return []
    key = await link_key(conn)
    expires = media.link_expiry()
    return [
        s.SubmissionAttachmentRead(
            id=r.id,
            submission_id=r.submission_id,
            filename=r.filename,
            content_type=r.content_type,
            size_bytes=r.size_bytes,
            is_image=r.content_type in media.INLINE_TYPES,
            created_at=r.created_at,
            url=MEDIA_PATH
            + media.sign_link(
                key, media.MediaLink(AREA, principal.course_id, r.id, principal.user_id, expires)
            ),
        )  # fmt: skip
        for r in rows
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


def check_uploads(settings: Settings, uploads: Sequence[Upload]) -> list[tuple[Upload, str]]:
    allowed = media.allowed_types(settings.attachment_types)
    checked = []
    for upload in uploads:
        if not upload.data:
            raise Unprocessable(f"{upload.filename} is empty")
        if len(upload.data) > settings.attachment_max_bytes:
            raise TooLarge(
                f"{upload.filename} is larger than {settings.attachment_max_bytes:,} bytes"
            )
        kind = media.detect_type(upload.data)
        if kind not in allowed:
            raise UnsupportedType(
                f"{upload.filename}: only these types can be attached: {', '.join(sorted(allowed))}"
            )
        checked.append((upload, kind))
    return checked


async def attach_files(
    conn: asyncpg.Connection,
    store: storage.Store,
    settings: Settings,
    principal: Principal,
    submission_id: int,
    uploads: Sequence[Upload],
) -> list[s.SubmissionAttachmentRead]:
    """Attach files to the viewer's own submission while they may still submit; all or none."""
    course_id = principal.course_id
    sub, access = await visible_submission(conn, principal, submission_id)
    if access != "owner":
        raise Forbidden("only the submission's author (or team) attaches files to it")
    assignment = await load_assignment(conn, principal, sub["assignment_id"])
    await extensions.check_can_submit(conn, principal, assignment)
    checked = check_uploads(settings, uploads)
    present = await attachment_sql.count_submission_attachments(conn, course_id, submission_id)
    if present + len(checked) > settings.attachment_max_per_post:
        raise Unprocessable(
            f"a submission carries at most {settings.attachment_max_per_post} files"
        )
    await attachment_sql.lock_uploader(conn, course_id, principal.user_id)
    used = await attachment_sql.select_used_bytes(conn, course_id, principal.user_id)
    adding = sum(len(u.data) for u, _ in checked)
    if used + adding > settings.attachment_quota_bytes:
        left = max(0, settings.attachment_quota_bytes - used)
        raise TooLarge(f"your files in this course may total {left:,} more bytes")
    written: list[str] = []
    try:
        rows = []
        for upload, kind in checked:
            key = storage.new_key(AREA, course_id)
            data = media.strip_metadata(upload.data, kind)  # no GPS, device or owner's name
            await storage.put(store, key, data)
            written.append(key)
            rows.append(
                await attachment_sql.insert_attachment(
                    conn,
                    course_id,
                    submission_id,
                    uploader_id=principal.user_id,
                    object_key=key,
                    filename=media.safe_filename(upload.filename),
                    content_type=kind,
                    size_bytes=len(data),
                )  # fmt: skip
            )
    except BaseException:
        await storage.delete(store, written)
        raise
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
    link = media.verify_link(await link_key(conn), token)
    if link is None or link.area != AREA:
        raise NotFound("this link is not valid (it may have expired: reload the page)")
    role = await conn.fetchval(
        "SELECT role FROM memberships WHERE course_id = $1 AND user_id = $2",
        link.course_id,
        link.user_id,
    )
    if role is None:
        raise NotFound("no such file")
    viewer = Principal(user_id=link.user_id, course_id=link.course_id, role=role)
    row = await attachment_sql.select_attachment(conn, link.course_id, link.item_id)
    if row is None:
        raise NotFound("no such file")
    await visible_submission(conn, viewer, row.submission_id)
    try:
        return row, await storage.get(store, row.object_key)
    except storage.ObjectMissing:
        log.error("attachment %s: object %s missing from the store", row.id, row.object_key)
        raise NotFound("this file is missing") from None


async def sweep_orphans(
    conn: asyncpg.Connection, store: storage.Store, *, age: timedelta = storage.ORPHAN_AGE
) -> int:
    """Delete stored submission files older than `age` that have no row."""
    keys = await storage.keys_older_than(store, AREA + "/", age)
    orphans: list[str] = []
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        parts = [(k, k.split("/")) for k in batch]
        valid = [(k, int(p[1])) for k, p in parts if len(p) == 3 and p[1].isdigit()]
        known = await attachment_sql.select_known_keys(
            conn, [c for _, c in valid], [k for k, _ in valid]
        )
        orphans += [k for k in batch if k not in known]
    await storage.delete(store, orphans)
    return len(orphans)


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
