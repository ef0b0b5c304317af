"""Load shedding: a per-process limit on requests in flight, so overload answers 503 quickly.

Without it every request queues for a pool connection without bound (at 200 connections p99 was
2.4 s and /ready neared its timeout). With it at most `max_requests` run at once; one more waits
at most `queue_timeout` seconds for a slot and is then answered 503 with Retry-After, which
clients and load balancers retry elsewhere or later. Probes (/health, /ready), /metrics, static
files and live-event streams (long-lived, holding no database connection) bypass the limit.
"""

from __future__ import annotations

import asyncio
import logging
import re

import msgspec
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from agora.errors import PROBLEM_JSON, TYPE_BASE, Problem
from agora.settings import Settings

log = logging.getLogger("agora.shedding")

EXEMPT = re.compile(r"^/(health|ready|metrics)$|^/static/|/events$")


def exempt(scope: Scope) -> bool:
    return bool(EXEMPT.search(scope["path"]))


class LoadShedding(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, max_requests: int, queue_timeout: float) -> None:
        self.slots = asyncio.Semaphore(max_requests)
        self.queue_timeout = queue_timeout
        self.should_bypass_for_scope = exempt

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        try:
            async with asyncio.timeout(self.queue_timeout):
                await self.slots.acquire()
        except TimeoutError:
            log.warning("shedding a request to %s: every request slot is busy", scope["path"])
            await self._busy(send)
            return
        try:
            await next_app(scope, receive, send)
        finally:
            self.slots.release()

    async def _busy(self, send: Send) -> None:
        body = msgspec.json.encode(
            Problem(
                TYPE_BASE + "unavailable",
                "Service unavailable",
                503,
                "the server is busy; retry shortly",
            )
        )
        retry_after = str(max(1, round(self.queue_timeout)))
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", retry_after.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def load_shedding(settings: Settings) -> LoadShedding:
    return LoadShedding(settings.max_requests, settings.queue_timeout)
