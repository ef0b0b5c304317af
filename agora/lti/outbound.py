"""The one guard for outbound HTTP to URLs that came from outside (platform configuration and
registration, JWKS, tokens, AGS, NRPS), and the URL checks for what pages post or redirect to.

Outside dev mode a call goes only to https URLs whose host resolves to a globally reachable
address, and connects to the address that was checked (httpx-secure replaces the connection
pool's network backend, so a second DNS answer cannot swap in 127.0.0.1 or the cloud metadata
service; TLS still verifies the URL's host name). Every hop of a redirect passes the same checks;
registration follows none. Answers are bounded in size and in total time. Failures are a
PlatformHTTPError whose text is a short reason safe to show a person: the remote body only goes
to the log.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
from httpx_secure import SSRFProtectionError, httpx_ssrf_protection

from agora.settings import Settings

try:
    VERSION = version("agora")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0"

log = logging.getLogger("agora.lti.outbound")
# Canvas rejects service calls without a User-Agent.
USER_AGENT = f"Agora/{VERSION}"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# The per-read timeout above does not stop a server dripping one byte every 9 s: this does.
TOTAL_SECONDS = 30.0
MAX_RESPONSE_BYTES = 2_000_000
MAX_URL_LENGTH = 2000
MAX_REDIRECTS = 3


class PlatformHTTPError(Exception):
    """A call to a platform failed; `retriable` says whether trying later may help.

    Its text is a short reason (never the remote body), fit for a page or a status column.
    """

    def __init__(self, message: str, *, status: int | None = None, retriable: bool = True):
        super().__init__(message)
        self.status = status
        self.retriable = retriable


class UnsafeURL(PlatformHTTPError):
    """The URL is malformed, not http(s), or leads where this policy forbids."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retriable=False)


@dataclass(frozen=True)
class Policy:
    """Where outbound calls may go. The default is production's: https to public addresses."""

    # Plain http and loopback/private/link-local addresses: dev mode, tests, an LMS on a
    # private network (AGORA_ALLOW_PRIVATE_URLS).
    allow_private: bool = False
    # The egress proxy every call goes through (AGORA_OUTBOUND_PROXY), or none.
    proxy: str = ""

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(
            allow_private=settings.dev or settings.allow_private_urls,
            proxy=settings.outbound_proxy,
        )

    @property
    def schemes(self) -> tuple[str, ...]:
        return ("https", "http") if self.allow_private else ("https",)


def _parse(url: object, what: str) -> httpx.URL:
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"{what} must be a URL of at most {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
        parsed.host  # noqa: B018 - decoding an IDNA host may fail (xn--) only here
    except (httpx.InvalidURL, ValueError, UnicodeError):
        raise UnsafeURL(f"{what} is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UnsafeURL(f"{what} must be an http(s) URL")
    if parsed.userinfo:
        raise UnsafeURL(f"{what} must not carry a user name or password")
    return parsed


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally reachable: not loopback, private, link-local (cloud metadata), shared (CGNAT),
    reserved or multicast, also when written as an IPv4-mapped IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_url(url: object, policy: Policy, what: str = "the URL") -> str:
    """`url` if this policy lets a call go there (as far as the URL alone tells), else UnsafeURL.

    A host written as an address is checked here; a host name is checked once resolved, when
    the connection is made (`client`).
    """
    parsed = _parse(url, what)
    if parsed.scheme not in policy.schemes:
        raise UnsafeURL(f"{what} must be an https URL")
    if not policy.allow_private:
        try:
            address = ipaddress.ip_address(parsed.host)
        except ValueError:
            address = None
        if parsed.host.lower().rstrip(".") == "localhost" or (
            address is not None and not address_allowed(address)
        ):
            raise UnsafeURL(f"{what} leads to an address Agora does not call")
    assert isinstance(url, str)  # _parse checked it
    return url


def origin(url: str) -> str:
    """scheme://host[:port] in canonical form (lower case, default port left out)."""
    parsed = httpx.URL(url)
    default = {"http": 80, "https": 443}.get(parsed.scheme)
    port = f":{parsed.port}" if parsed.port not in (None, default) else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}"


def platform_origins(platform: Mapping[str, Any]) -> set[str]:
    """The origins a platform registered: those of its issuer and endpoints, and the others an
    administrator named (`agora platform add --origin`)."""
    named: Iterable[object] = platform.get("origins") or ()
    candidates = [
        platform.get(k) for k in ("issuer", "auth_login_url", "auth_token_url", "jwks_url")
    ]
    found = set()
    for url in [*candidates, *named]:
        try:
            found.add(origin(str(_parse(url, "origin"))))
        except UnsafeURL:
            continue
    return found


def check_platform_url(url: object, platform: Mapping[str, Any], what: str) -> str:
    """`url` if it is http(s) and on one of the platform's registered origins: the URLs a page
    posts or redirects a browser to (a deep-linking return URL)."""
    if origin(str(_parse(url, what))) not in platform_origins(platform):
        raise UnsafeURL(f"{what} is not on an origin registered for this platform")
    assert isinstance(url, str)
    return url


async def check_resolved(url: httpx.URL) -> None:
    """Resolve a host name before anything connects: if any of its addresses is not one Agora
    calls, refuse the URL. (httpx-secure picks the address to use by opening a TCP connection,
    then checks it: without this, a name pointing at an internal service received a connect,
    though never a byte.) The connection still goes only to an address httpx-secure checked, so
    a DNS answer that changes in between cannot slip in an internal one either."""
    try:
        ipaddress.ip_address(url.host)
        return  # an address: check_url has checked it
    except ValueError:
        pass
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        async with asyncio.timeout(TIMEOUT.connect or 5.0):
            found = await asyncio.get_running_loop().getaddrinfo(
                url.host, port, type=socket.SOCK_STREAM
            )
    except (OSError, TimeoutError, UnicodeError):
        raise PlatformHTTPError(
            f"{_for_people(str(url))}: the host name does not resolve"
        ) from None
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found}
    if not addresses or not all(address_allowed(a) for a in addresses):
        log.warning(
            "outbound %s refused: %s resolves to %s", url, url.host, sorted(map(str, addresses))
        )
        raise UnsafeURL(f"{_for_people(str(url))}: leads to an address Agora does not call")


def client(policy: Policy, *, follow_redirects: bool = True) -> httpx.AsyncClient:
    """An httpx client for calls to platforms under `policy`.

    A few redirects are normal for service calls (JWKS moved behind a CDN); each hop is checked
    again. Registration passes follow_redirects=False: there a redirect could change whom we
    trust. Proxies from the environment are ignored: the address check must see the real peer.
    With the policy's egress proxy, the proxy resolves and connects (a server behind one often
    cannot resolve public names itself): Agora checks the URL, and the proxy must refuse
    internal destinations.
    """

    async def check_hop(request: httpx.Request) -> None:
        check_url(str(request.url), policy)
        if not policy.allow_private and not policy.proxy:
            await check_resolved(request.url)

    http = httpx.AsyncClient(
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=follow_redirects,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
        proxy=policy.proxy or None,
        event_hooks={"request": [check_hop]},
    )
    if not policy.allow_private and not policy.proxy:
        httpx_ssrf_protection(http, custom_validator=lambda _host, ip, _port: address_allowed(ip))
    return http


async def request(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    deadline: float = TOTAL_SECONDS,
    max_bytes: int = MAX_RESPONSE_BYTES,
    **kwargs: Any,
) -> tuple[httpx.Response, bytes]:
    """Send a request, reading at most `max_bytes` within `deadline` seconds; raise
    PlatformHTTPError (UnsafeURL for a URL the client's policy refuses) on failure."""
    where = _for_people(url)
    try:
        async with asyncio.timeout(deadline):
            async with http.stream(method, url, **kwargs) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise PlatformHTTPError(
                            f"{method} {where}: the answer is larger than allowed", retriable=False
                        )
    except PlatformHTTPError:
        raise
    except TimeoutError:
        raise PlatformHTTPError(f"{method} {where}: no complete answer in {deadline:g} s") from None
    except SSRFProtectionError as error:
        log.warning("outbound %s %s refused: %s", method, url, error)
        raise UnsafeURL(f"{method} {where}: leads to an address Agora does not call") from None
    except httpx.TooManyRedirects:
        raise PlatformHTTPError(f"{method} {where}: too many redirects", retriable=False) from None
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, UnicodeError) as error:
        log.warning("outbound %s %s failed: %s: %s", method, url, type(error).__name__, error)
        raise PlatformHTTPError(f"{method} {where}: {_kind(error)}") from None
    if response.is_redirect:  # only seen when the client follows none
        raise PlatformHTTPError(
            f"{method} {where}: answered with a redirect, which Agora does not follow",
            status=response.status_code,
            retriable=False,
        )
    if response.status_code >= 400:
        retriable = response.status_code >= 500 or response.status_code in (408, 429)
        # The body may be anything the remote chose (an internal page): the log, not people.
        snippet = bytes(body[:300]).decode("utf-8", "replace")
        log.warning("outbound %s %s: HTTP %s %s", method, url, response.status_code, snippet)
        raise PlatformHTTPError(
            f"{method} {where}: HTTP {response.status_code}",
            status=response.status_code,
            retriable=retriable,
        )
    return response, bytes(body)


def _for_people(url: str) -> str:
    """The URL without its query string (it may carry tokens), bounded."""
    return url.split("?", 1)[0][:200]


def _kind(error: Exception) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    if isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "not a valid http(s) URL"
    return "the connection failed"


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
        raise PlatformHTTPError(
            f"{_for_people(url)}: the answer is not JSON", retriable=False
        ) from None
