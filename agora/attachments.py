"""Attachments, the part both contexts share: files on a forum post or a peer-review submission.

A context says which rows hold its files (an `Area`: its object-key area, its signed-link path
and its attachment queries) and who may attach or see them (its rules); this module does the
rest the same way for both: what is accepted (agora.media: the type from the bytes,
AGORA_ATTACHMENT_* size, count and quota), the order of writes, signed links and the sweep.

Nothing is half-written: every check runs before anything is written; the objects are written,
then their rows in the request's transaction; if a row cannot be written the objects just
written are deleted, and objects whose transaction failed after that (or whose row was deleted)
are removed by `sweep_orphans` once they are older than agora.storage.ORPHAN_AGE.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, Protocol, TypeVar

import asyncpg

from agora import mail, media, storage
from agora.errors import NotFound, TooLarge, Unprocessable, UnsupportedType
from agora.media import Upload
from agora.queries.courses import select_member_role
from agora.sessions import Principal
from agora.settings import Settings

log = logging.getLogger("agora.attachments")

Row = TypeVar("Row")
Row_co = TypeVar("Row_co", covariant=True)


class AttachmentRows(Protocol[Row_co]):
    """A context's attachment queries (its queries module): the rows of its stored files, each
    on one holder (a post, a submission) of a course."""

    async def count_attachments(
        self, conn: asyncpg.Connection, course_id: int, holder_id: int, /
    ) -> int: ...

    async def lock_uploader(self, conn: asyncpg.Connection, course_id: int, user_id: int) -> None:
        """Serialise a member's uploads in a course until the transaction ends."""

    async def select_used_bytes(
        self, conn: asyncpg.Connection, course_id: int, user_id: int
    ) -> int: ...

    async def insert_attachment(
        self,
        conn: asyncpg.Connection,
        course_id: int,
        holder_id: int,
        /,
        *,
        uploader_id: int,
        object_key: str,
        filename: str,
        content_type: str,
        size_bytes: int,
    ) -> Row_co: ...

    async def select_known_keys(
        self, conn: asyncpg.Connection, course_ids: list[int], keys: list[str]
    ) -> set[str]: ...


@dataclass(frozen=True)
class Area(Generic[Row]):
    """One context's attachments: where its objects and links live, and its rows."""

    name: str  # object keys are <name>/<course_id>/<random>; signed links name it too
    media_path: str  # the download route its signed links point at
    holder: str  # what carries the files ("post", "submission"), for messages
    rows: AttachmentRows[Row]


def check_uploads(settings: Settings, uploads: Sequence[Upload]) -> list[tuple[Upload, str]]:
    """Each upload with its detected type, or the problem with the first that is refused."""
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


async def store_files(
    conn: asyncpg.Connection,
    store: storage.Store,
    settings: Settings,
    area: Area[Row],
    principal: Principal,
    holder_id: int,
    uploads: Sequence[Upload],
) -> list[Row]:
    """Store the uploads on `holder_id` (the caller has checked the principal may attach
    there) and write their rows: all of them or none, within the count and the quota."""
    course_id = principal.course_id
    checked = check_uploads(settings, uploads)
    present = await area.rows.count_attachments(conn, course_id, holder_id)
    if present + len(checked) > settings.attachment_max_per_post:
        raise Unprocessable(
            f"a {area.holder} carries at most {settings.attachment_max_per_post} files"
        )
    await area.rows.lock_uploader(conn, course_id, principal.user_id)
    used = await area.rows.select_used_bytes(conn, course_id, principal.user_id)
    adding = sum(len(u.data) for u, _ in checked)
    if used + adding > settings.attachment_quota_bytes:
        left = max(0, settings.attachment_quota_bytes - used)
        raise TooLarge(f"your files in this course may total {left:,} more bytes")
    written: list[str] = []
    try:
        rows = []
        for upload, kind in checked:
            key = storage.new_key(area.name, course_id)
            data = media.strip_metadata(upload.data, kind)  # no GPS, device or owner's name
            await storage.put(store, key, data)
            written.append(key)
            rows.append(
                await area.rows.insert_attachment(
                    conn,
                    course_id,
                    holder_id,
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
    return rows


async def link_key(conn: asyncpg.Connection) -> bytes:
    """The installation's link-signing key: one read (made once, on first use)."""
    key: bytes | None = await conn.fetchval(
        "SELECT value FROM app_secrets WHERE name = 'link_signing'"
    )
    return key if key is not None else await mail.signing_key(conn)


async def signed_urls(
    conn: asyncpg.Connection, area: Area[Row], viewer: Principal, item_ids: Sequence[int]
) -> list[str]:
    """The viewer's signed download link for each of these files (one read of the key)."""
    if not item_ids:
        return []
    key = await link_key(conn)
    expires = media.link_expiry()
    course_id, user_id = viewer.course_id, viewer.user_id
    return [
        area.media_path
        + media.sign_link(key, media.MediaLink(area.name, course_id, item, user_id, expires))
        for item in item_ids
    ]


async def link_viewer(
    conn: asyncpg.Connection, area: Area[Row], token: str
) -> tuple[Principal, int]:
    """Who a signed link was given to (their role read again: a member removed from the course
    gets 404) and the file it names, if the link is genuine, unexpired and of this area. Whether
    that viewer may still see the file is the context's to check."""
    link = media.verify_link(await link_key(conn), token)
    if link is None or link.area != area.name:
        raise NotFound("this link is not valid (it may have expired: reload the page)")
    role = await select_member_role(conn, link.course_id, link.user_id)
    if role is None:
        raise NotFound("no such file")
    return Principal(user_id=link.user_id, course_id=link.course_id, role=role), link.item_id


async def read_object(store: storage.Store, area: Area[Row], item_id: int, key: str) -> bytes:
    """The stored bytes of a file whose row exists (404, logged, if the object is missing)."""
    try:
        return await storage.get(store, key)
    except storage.ObjectMissing:
        log.error("%s attachment %s: object %s missing from the store", area.name, item_id, key)
        raise NotFound("this file is missing") from None


async def sweep_orphans(
    conn: asyncpg.Connection,
    store: storage.Store,
    area: Area[Row],
    *,
    age: timedelta = storage.ORPHAN_AGE,
) -> int:
    """Delete the area's stored objects older than `age` that have no row (a transaction that
    failed after its files were written; a removed attachment)."""
    keys = await storage.keys_older_than(store, area.name + "/", age)
    orphans: list[str] = []
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        pairs = [(k, _course_of(k)) for k in batch]
        valid = [(k, c) for k, c in pairs if c is not None]
        known = await area.rows.select_known_keys(
            conn, [c for _, c in valid], [k for k, _ in valid]
        )
        orphans += [k for k in batch if k not in known]
    await storage.delete(store, orphans)
    return len(orphans)


def _course_of(key: str) -> int | None:
    parts = key.split("/")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
