"""Attachments: files on posts (notes, screenshots, PDFs), in the object store (agora.storage).

Bounded three ways (AGORA_ATTACHMENT_*): bytes per file (413), files per post (422), and bytes
per member per course, their quota (413). The type is what the bytes are (agora.media.detect_type),
checked against the allowed list (415); the uploader's file name is kept for display only.

Nothing is half-written: every check runs before anything is written; the objects are written,
then their rows in the request's transaction; if a row cannot be written the objects just
written are deleted, and objects whose transaction failed after that (or whose row was deleted)
are removed by `sweep_orphans` once they are older than agora.storage.ORPHAN_AGE.

Who sees a file is who sees its post's body (forum.rules.can_see_attachments), checked again on
every download; the uploader never leaves the forum (AttachmentRead has no such field), so an
anonymous post's files do not name its author.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from agora import mail, media, storage
from agora.errors import Forbidden, NotFound, TooLarge, Unprocessable, UnsupportedType
from agora.media import Upload
from agora.sessions import Principal
from agora.settings import Settings
from forum import rules
from forum.queries import attachments as attachment_sql
from forum.queries.attachments import AttachmentRow
from forum.queries.posts import PostRow
from forum.schemas import AttachmentRead, PostRead
from forum.service.context import Context, load_context
from forum.service.posts import post_for_write, visible_post

log = logging.getLogger("forum.attachments")

AREA = "forum"  # object keys: forum/<course_id>/<random>
MEDIA_PATH = "/media/attachments/"


def attachment_view(row: AttachmentRow, url: str) -> AttachmentRead:
    return AttachmentRead(
        id=row.id, post_id=row.post_id, filename=row.filename, content_type=row.content_type,
        size_bytes=row.size_bytes, is_image=row.content_type in media.INLINE_TYPES, url=url,
        created_at=row.created_at,
    )  # fmt: skip


async def link_key(conn: asyncpg.Connection) -> bytes:
    """The installation's link-signing key: one read (made once, on first use)."""
    key: bytes | None = await conn.fetchval(
        "SELECT value FROM app_secrets WHERE name = 'link_signing'"
    )
    return key if key is not None else await mail.signing_key(conn)


def signed_url(key: bytes, course_id: int, row: AttachmentRow, user_id: int) -> str:
    link = media.MediaLink(AREA, course_id, row.id, user_id, media.link_expiry())
    return MEDIA_PATH + media.sign_link(key, link)


async def views(
    conn: asyncpg.Connection, principal: Principal, rows: Sequence[AttachmentRow]
) -> list[AttachmentRead]:
    if not rows:
        return []
    key = await link_key(conn)
    course_id, user_id = principal.course_id, principal.user_id
    return [attachment_view(r, signed_url(key, course_id, r, user_id)) for r in rows]


async def with_attachments(
    conn: asyncpg.Connection,
    principal: Principal,
    rows: Sequence[PostRow],
    posts: list[PostRead],
) -> list[PostRead]:
    """`posts` (the views of `rows`, in the same order) with their attachments, for those whose
    body the viewer may see: one statement for the page (and the signing key if any)."""
    shown = [r.id for r in rows if rules.can_see_attachments(principal, r)]
    if not shown:
        return posts
    found = await attachment_sql.select_post_attachments(conn, principal.course_id, shown)
    by_post: dict[int, list[AttachmentRead]] = {}
    for item in await views(conn, principal, found):
        by_post.setdefault(item.post_id, []).append(item)
    return [
        msgspec.structs.replace(p, attachments=by_post[p.id]) if p.id in by_post else p
        for p in posts
    ]


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


async def attach_files(
    conn: asyncpg.Connection,
    store: storage.Store,
    settings: Settings,
    principal: Principal,
    post_id: int,
    uploads: Sequence[Upload],
    *,
    ctx: Context | None = None,
) -> list[AttachmentRead]:
    """Attach files to a post the viewer may edit; all of them or none."""
    if not uploads:
        return []
    course_id = principal.course_id
    if ctx is None:
        ctx = await load_context(conn, principal)
    ctx.require_write()
    # No thread lock (unlike the forum's writes to a post's row): attaching changes no thread or
    # post row, and uploads, which hold their transaction while the store writes, would queue
    # behind each other and every reply in the thread. A member's uploads are serialised by
    # lock_uploader below; a post deleted meanwhile shows no files (they follow its body).
    post = await visible_post(conn, principal, post_id)
    now = datetime.now(UTC)
    if not rules.can_attach(
        principal, post, settings=ctx.settings, restrictions=ctx.restrictions, now=now
    ):
        raise Forbidden("you can attach files only to your own posts, while you may edit them")
    checked = check_uploads(settings, uploads)
    present = await attachment_sql.count_post_attachments(conn, course_id, post_id)
    if present + len(checked) > settings.attachment_max_per_post:
        raise Unprocessable(f"a post carries at most {settings.attachment_max_per_post} files")
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
                    post_id,
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
    conn: asyncpg.Connection, principal: Principal, post_id: int
) -> list[AttachmentRead]:
    ctx = await load_context(conn, principal)
    ctx.require_read()
    post = await visible_post(conn, principal, post_id)
    if not rules.can_see_attachments(principal, post):
        return []
    rows = await attachment_sql.select_post_attachments(conn, principal.course_id, [post_id])
    return await views(conn, principal, rows)


async def visible_attachment(
    conn: asyncpg.Connection, viewer: Principal, attachment_id: int
) -> AttachmentRow:
    """The attachment if the viewer may see its post's body now; 404 otherwise."""
    row = await attachment_sql.select_attachment(conn, viewer.course_id, attachment_id)
    if row is None:
        raise NotFound("no such file")
    post = await visible_post(conn, viewer, row.post_id)  # 404 when the post is out of sight
    if not rules.can_see_attachments(viewer, post):
        raise NotFound("no such file")
    return row


async def delete_attachment(
    conn: asyncpg.Connection, principal: Principal, attachment_id: int
) -> None:
    """Remove a file from a post (who may edit the post may); the object goes with the sweep."""
    ctx = await load_context(conn, principal)
    ctx.require_write()
    row = await attachment_sql.select_attachment(conn, principal.course_id, attachment_id)
    if row is None:
        raise NotFound("no such file")
    post = await post_for_write(conn, principal, row.post_id)
    if not rules.can_attach(
        principal, post, settings=ctx.settings, restrictions=ctx.restrictions,
        now=datetime.now(UTC),
    ):  # fmt: skip
        raise Forbidden("you can remove files only from posts you may edit")
    await attachment_sql.delete_attachment(conn, principal.course_id, attachment_id)


async def open_link(
    conn: asyncpg.Connection, store: storage.Store, token: str
) -> tuple[AttachmentRow, bytes]:
    """The file a signed link names, if the link is genuine and unexpired and its viewer may
    still see the post (their role read again: a learner removed from the course gets 404)."""
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
    ctx = await load_context(conn, viewer)
    ctx.require_read()
    row = await visible_attachment(conn, viewer, link.item_id)
    try:
        return row, await storage.get(store, row.object_key)
    except storage.ObjectMissing:
        log.error(
            "attachment %s of course %s: object %s missing", row.id, link.course_id, row.object_key
        )
        raise NotFound("this file is missing") from None


async def sweep_orphans(
    conn: asyncpg.Connection, store: storage.Store, *, age: timedelta = storage.ORPHAN_AGE
) -> int:
    """Delete stored attachment objects older than `age` that have no row (a transaction that
    failed after its files were written; a removed attachment)."""
    keys = await storage.keys_older_than(store, AREA + "/", age)
    orphans: list[str] = []
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        pairs = [(k, _course_of(k)) for k in batch]
        valid = [(k, c) for k, c in pairs if c is not None]
        known = await attachment_sql.select_known_keys(
            conn, [c for _, c in valid], [k for k, _ in valid]
        )
        orphans += [k for k in batch if k not in known]
    await storage.delete(store, orphans)
    return len(orphans)


def _course_of(key: str) -> int | None:
    parts = key.split("/")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
