"""Outbound HTTP to platforms: one place that sets the User-Agent, timeouts and size limits."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

try:
    VERSION = version("agora")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0"

# Canvas rejects service calls without a User-Agent.
USER_AGENT = f"Agora/{VERSION}"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RESPONSE_BYTES = 2_000_000


class PlatformHTTPError(Exception):
    """A call to a platform failed; `retriable` says whether trying later may help."""

    def __init__(self, message: str, *, status: int | None = None, retriable: bool = True):
        super().__init__(message)
        self.status = status
        self.retriable = retriable


def client() -> httpx.AsyncClient:
    # A few redirects are normal (JWKS and configuration URLs moved behind a CDN); more is not.
    return httpx.AsyncClient(
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        max_redirects=3,
    )


async def request(
    http: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, bytes]:
    """Send a request, reading at most MAX_RESPONSE_BYTES; raise PlatformHTTPError on failure."""
    try:
        async with http.stream(method, url, **kwargs) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise PlatformHTTPError(f"{method} {url}: response larger than allowed")
    except httpx.HTTPError as error:
        raise PlatformHTTPError(f"{method} {url}: {type(error).__name__}: {error}") from None
    if response.status_code >= 400:
        retriable = response.status_code >= 500 or response.status_code in (408, 429)
        snippet = bytes(body[:300]).decode("utf-8", "replace")
        raise PlatformHTTPError(
            f"{method} {url}: HTTP {response.status_code} {snippet}",
            status=response.status_code,
            retriable=retriable,
        )
    return response, bytes(body)


async def get_json(
    http: httpx.AsyncClient, url: str, **kwargs: Any
) -> tuple[httpx.Response, object]:
    return await request_json(http, "GET", url, **kwargs)


async def request_json(
    http: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, object]:
    response, body = await request(http, method, url, **kwargs)
    return response, _json(url, body) if body.strip() else None


def _json(url: str, body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        raise PlatformHTTPError(f"{url}: the answer is not JSON", retriable=False) from None
