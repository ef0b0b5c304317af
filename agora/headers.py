"""Security headers on every answer: Content-Security-Policy, nosniff, Referrer-Policy, and no
caching of the API.

One `before_send` hook (Litestar runs it for every response, errors and unknown routes included)
sets them, so no handler has to remember. Pages get a policy with no inline script or style at
all (templates use static files and CSS classes; values reach scripts through data-* attributes)
and may be framed only by the registered platforms: `frame-ancestors` lists their origins, read
from the database at most once a minute per process. Anything else (JSON, problem+json, static
files) may not be framed and loads nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from agora.db import Database
from agora.queries.platforms import select_platform_page_urls
from agora.settings import Settings

log = logging.getLogger("agora.headers")

ORIGINS_TTL = 60.0  # seconds a process keeps the platforms' origins before reading them again
LOOKUP_TIMEOUT = 2.0
RETRY_AFTER = 5.0  # seconds before a failed read is tried again
API_PREFIX = "/api/"
DOCS_PREFIX = "/schema"

# KaTeX styles the math it renders through the CSSOM (element.style), which CSP allows;
# htmx is told not to inject its indicator <style> (htmx-config meta), and hx-on (eval) is unused.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors {ancestors}"
)
# The OpenAPI docs UI (Litestar's Scalar and Swagger pages) is third-party code loaded from a CDN
# with an inline bootstrap script; it shows no user content and is never framed.
DOCS_POLICY = (
    "default-src 'self' https://cdn.jsdelivr.net; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://cdn.jsdelivr.net; "
    "font-src 'self' data: https://cdn.jsdelivr.net https://fonts.gstatic.com "
    "https://fonts.scalar.com; "
    "frame-ancestors 'none'"
)
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Links in posts lead to other sites: they learn nothing of the course or thread a reader is in.
REFERRER_POLICY = "same-origin"
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")


def frame_origin(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL, rebuilt from its parts (a registered URL can
    never smuggle a quote or a `;` into the header); None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


class FrameAncestors:
    """The page policy's `frame-ancestors` sources: 'self', the registered platforms' origins
    (in dev that includes the dev LMS, registered on our own origin) and settings.frame_ancestors.

    Read at most once per ORIGINS_TTL; if the database does not answer, the last known list stays
    in use (a fresh process falls back to 'self' and the configured sources, and tries again on
    the next page)."""

    def __init__(self, settings: Settings) -> None:
        self.configured = settings.frame_ancestors.split()
        self.sources = " ".join(["'self'", *self.configured])
        self.read_at: float | None = None
        self.lock = asyncio.Lock()

    def stale(self) -> bool:
        return self.read_at is None or time.monotonic() - self.read_at > ORIGINS_TTL

    async def current(self, database: Database) -> str:
        if self.stale():
            async with self.lock:
                if self.stale():
                    await self.refresh(database)
        return self.sources

    async def refresh(self, database: Database) -> None:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT), database.acquire() as connection:
                urls = await select_platform_page_urls(connection)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("platform origins unavailable, framing policy unchanged: %s", error)
            self.read_at = time.monotonic() - ORIGINS_TTL + RETRY_AFTER
            return
        origins = sorted({o for o in map(frame_origin, urls) if o})
        self.sources = " ".join(dict.fromkeys(["'self'", *origins, *self.configured]))
        self.read_at = time.monotonic()


class SecurityHeaders:
    """The app's `before_send` hook."""

    def __init__(self, settings: Settings) -> None:
        self.frame_ancestors = FrameAncestors(settings)

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        path: str = scope.get("path", "")
        headers["Content-Security-Policy"] = await self.policy(scope, path, headers)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = REFERRER_POLICY
        # API answers hold one person's view of a course: never kept by a browser or a proxy.
        if path.startswith(API_PREFIX):
            headers["Cache-Control"] = "no-store"

    async def policy(self, scope: Scope, path: str, headers: MutableScopeHeaders) -> str:
        if not headers.get("content-type", "").startswith("text/html"):
            return OTHER_POLICY
        if path.startswith(DOCS_PREFIX):
            return DOCS_POLICY
        app: Any = scope["app"]
        database: Database | None = getattr(app.state, "database", None)
        if database is None:  # not started yet
            return PAGE_POLICY.format(ancestors=self.frame_ancestors.sources)
        return PAGE_POLICY.format(ancestors=await self.frame_ancestors.current(database))
