"""Remote images in Markdown, fetched by Agora and served from its own origin.

Rendering (agora.markup) turns `![](https://host/cat.png)` into
`<img src="/media/remote/<sha256 of the URL>?u=<the URL>">`; the page's CSP allows images from
'self' only, so no reader's browser ever contacts the image's host. The service that stores the
rendered HTML calls `remember`, which records each (digest, URL) pair whose digest matches; the
proxy (`GET /media/remote/<digest>`) fetches only URLs recorded so, looked up by digest (the `u`
parameter of a request is ignored), so it is no open fetcher for whoever calls it.

Fetched lazily, on the first view, not eagerly by a job at write time: only images someone
looks at are fetched, a post with fifty images costs nothing until read, a remote host that is
down when the post is written gets another chance later (a failure is remembered for
RETRY_FAILED_AFTER, then tried again), and no job, queue or outbox row is needed. The first
viewer waits for the fetch once (at most FETCH_SECONDS); everyone after is served from the store.
Fetches go through the one outbound guard (agora.lti.outbound: https to public addresses outside
dev, each redirect hop checked, bounded time and size); the bytes must be a PNG, JPEG, GIF or
WebP by their signature (never SVG, which can carry script), and are served with their detected
type, nosniff and a CSP that loads nothing.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import unquote

import asyncpg
from litestar import Response, get
from litestar.params import PathParameter

from agora import media, storage
from agora.deps import AppSettings, Db, Files
from agora.errors import NotFound
from agora.lti import outbound
from agora.markup import REMOTE_IMAGE_PATH, render_markdown
from agora.settings import Settings

log = logging.getLogger("agora.remote_images")

MAX_BYTES = 5_000_000
FETCH_SECONDS = 10.0
RETRY_FAILED_AFTER = timedelta(hours=1)
MAX_PER_TEXT = 50  # images recorded per stored text (more are shown broken)
CACHE = "public, max-age=604800"
_SRC = re.compile(re.escape(REMOTE_IMAGE_PATH) + r"([0-9a-f]{64})\?u=([^\"'\s<>]{1,6000})")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
Digest = Annotated[str, PathParameter(max_length=64)]


def object_key(digest: str) -> str:
    return f"remote/{digest}"


def found_images(rendered: str) -> dict[str, str]:
    """digest → URL of the proxied images in rendered HTML whose digest matches their URL."""
    found: dict[str, str] = {}
    for digest, encoded in _SRC.findall(rendered):
        url = unquote(html.unescape(encoded))
        if hashlib.sha256(url.encode()).hexdigest() == digest:
            found[digest] = url
        if len(found) >= MAX_PER_TEXT:
            break
    return found


async def remember(conn: asyncpg.Connection, rendered: str) -> int:
    """Record the remote images of a rendered text being stored; how many it names."""
    found = found_images(rendered)
    if found:
        await conn.execute(
            """INSERT INTO remote_images (digest, url)
               SELECT * FROM unnest($1::text[], $2::text[])
               ON CONFLICT (digest) DO NOTHING""",
            list(found),
            list(found.values()),
        )
    return len(found)


async def rendered(conn: asyncpg.Connection, text: str) -> str:
    """`text` rendered for storing (agora.markup), its remote images recorded for the proxy: what
    every stored Markdown needs, or its rewritten images would never be fetched."""
    body_html = await render_markdown(text)
    await remember(conn, body_html)
    return body_html


async def fetch_image(settings: Settings, url: str) -> tuple[bytes, str]:
    """The image's bytes and type, through the outbound guard; PlatformHTTPError (a short
    reason) if it cannot be fetched or is not an image Agora shows."""
    async with outbound.client(outbound.Policy.of(settings)) as http:
        _, body = await outbound.request(
            http, "GET", url, deadline=FETCH_SECONDS, max_bytes=MAX_BYTES,
            headers={"Accept": "image/png, image/jpeg, image/gif, image/webp"},
        )  # fmt: skip
    kind = media.detect_type(body)
    if kind not in media.INLINE_TYPES:
        raise outbound.PlatformHTTPError("not a PNG, JPEG, GIF or WebP image", retriable=False)
    return body, kind


@get(REMOTE_IMAGE_PATH + "{digest:str}", include_in_schema=False)
async def remote_image(
    digest: Digest, db: Db, settings: AppSettings, store: Files
) -> Response[bytes]:
    """A remote image shown in a post, from the store (fetched first if it never was)."""
    if not _DIGEST.match(digest):
        raise NotFound("no such image")
    row = await db.fetchrow(
        "SELECT url, content_type, failure, fetched_at FROM remote_images WHERE digest = $1",
        digest,
    )
    if row is None:
        raise NotFound("no such image")
    name = f"image-{digest[:12]}"
    if row["fetched_at"] is not None and not row["failure"]:
        try:
            data = await storage.get(store, object_key(digest))
            return media.file_response(
                data, content_type=row["content_type"], filename=name, cache=CACHE
            )
        except storage.ObjectMissing:
            pass  # the store lost it (a new bucket): fetch again
    elif row["failure"] and datetime.now(UTC) - row["fetched_at"] < RETRY_FAILED_AFTER:
        raise NotFound("this image could not be fetched")
    try:
        data, kind = await fetch_image(settings, row["url"])
    except outbound.PlatformHTTPError as error:
        log.info("remote image %s not fetched: %s", digest, error)
        await db.execute(
            "UPDATE remote_images SET failure = $2, fetched_at = now() WHERE digest = $1",
            digest,
            str(error)[:300],
        )
        raise NotFound("this image could not be fetched") from None
    # The object first, then the row that says it is there (a crash between leaves an object
    # the next view overwrites: its key is the digest).
    await storage.put(store, object_key(digest), data)
    await db.execute(
        """UPDATE remote_images
              SET content_type = $2, size_bytes = $3, failure = '', fetched_at = now()
            WHERE digest = $1""",
        digest,
        kind,
        len(data),
    )
    return media.file_response(data, content_type=kind, filename=name, cache=CACHE)


ROUTES = [remote_image]
