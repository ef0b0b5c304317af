"""Attachments: files on posts (notes, screenshots, PDFs), in the object store (agora.storage).

Bounded three ways (AGORA_ATTACHMENT_*): bytes per file (413), files per post (422), and bytes
per member per course, their quota (413). The type is what the bytes are (agora.media.detect_type),
checked against the allowed list (415); the uploader's file name is kept for display only.
What is accepted, the order of writes, signed links and the orphan sweep are agora.attachments';
this module says which rows hold the forum's files and who may attach and see them.

Who sees a file is who sees its post's body (forum.rules.can_see_attachments), checked again on
every download; the uploader never leaves the forum (AttachmentRead has no such field), so an
anonymous post's files do not name its author.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from agora import attachments as files
from agora import media, storage
from agora.errors import Forbidden, NotFound
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

MEDIA_PATH = "/media/attachments/"
# Object keys: forum/<course_id>/<random>; the rows are this context's attachment queries.
FILES = files.Area(name="forum", media_path=MEDIA_PATH, holder="post", rows=attachment_sql)


def attachment_view(row: AttachmentRow, url: str) -> AttachmentRead:
    return AttachmentRead(
        id=row.id, post_id=row.post_id, filename=row.filename, content_type=row.content_type,
        size_bytes=row.size_bytes, is_image=row.content_type in media.INLINE_TYPES, url=url,
        created_at=row.created_at,
    )  # fmt: skip


async def views(
    conn: asyncpg.Connection, principal: Principal, rows: Sequence[AttachmentRow]
) -> list[AttachmentRead]:
    urls = await files.signed_urls(conn, FILES, principal, [r.id for r in rows])
    return [attachment_view(r, url) for r, url in zip(rows, urls, strict=True)]


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
    if ctx is None:
        ctx = await load_context(conn, principal)
    ctx.require_write()
    # No thread lock (unlike the forum's writes to a post's row): attaching changes no thread or
    # post row, and uploads, which hold their transaction while the store writes, would queue
    # behind each other and every reply in the thread. A member's uploads are serialised by
    # the uploader lock files.store_files takes; a post deleted meanwhile shows no files (they
    # follow its body).
    post = await visible_post(conn, principal, post_id)
    now = datetime.now(UTC)
    if not rules.can_attach(
        principal, post, settings=ctx.settings, restrictions=ctx.restrictions, now=now
    ):
        raise Forbidden("you can attach files only to your own posts, while you may edit them")
    rows = await files.store_files(conn, store, settings, FILES, principal, post_id, uploads)
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
    viewer, attachment_id = await files.link_viewer(conn, FILES, token)
    ctx = await load_context(conn, viewer)
    ctx.require_read()
    row = await visible_attachment(conn, viewer, attachment_id)
    return row, await files.read_object(store, FILES, row.id, row.object_key)


async def sweep_orphans(
    conn: asyncpg.Connection, store: storage.Store, *, age: timedelta = storage.ORPHAN_AGE
) -> int:
    """Delete stored attachment objects older than `age` that have no row."""
    return await files.sweep_orphans(conn, store, FILES, age=age)
