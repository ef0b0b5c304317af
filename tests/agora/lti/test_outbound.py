"""The outbound guard: what a call to a URL from outside may reach, how much it reads, for how
long, and what its failures say."""

import asyncio
import ipaddress
import logging
import socket

import pytest

from agora.lti import outbound

PRODUCTION = outbound.Policy()
LOOPBACK = outbound.Policy(allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://LOCALHOST./x",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://10.1.2.3/x",
        "https://172.16.0.1/x",
        "https://192.168.1.1/x",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[fd00:ec2::254]/latest/meta-data/",  # AWS metadata over IPv6
        "https://100.64.0.1/x",  # shared address space (CGNAT)
        "https://0.0.0.0/x",
        "https://[fe80::1]/x",
        "https://224.0.0.1/x",
    ],
)
def test_production_refuses_addresses_that_are_not_public(url):
    with pytest.raises(outbound.UnsafeURL, match="address Agora does not call"):
        outbound.check_url(url, PRODUCTION)
    assert outbound.check_url(url, LOOPBACK) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://lms.example.edu/jwks", "https"),
        ("ftp://lms.example.edu/jwks", "http(s)"),
        ("javascript:alert(1)", "http(s)"),
        ("https://[::1", "not a valid URL"),
        ("https://xn--/x", "not a valid URL"),
        ("https://user:secret@lms.example.edu/", "user name"),
        ("/relative", "http(s)"),
        ("", "URL"),
        (None, "URL"),
        ("https://lms.example.edu/" + "a" * 2000, "2000"),
    ],
)
def test_malformed_or_unsafe_urls_are_refused_with_a_reason(url, reason):
    with pytest.raises(outbound.UnsafeURL) as refused:
        outbound.check_url(url, PRODUCTION, "jwks_url")
    assert reason in str(refused.value) and "jwks_url" in str(refused.value)


def test_a_public_https_url_passes():
    assert outbound.check_url("https://lms.example.edu/jwks", PRODUCTION)
    assert outbound.address_allowed(ipaddress.ip_address("93.184.216.34"))
    assert not outbound.address_allowed(ipaddress.ip_address("::ffff:10.0.0.1"))


def test_platform_origins_are_its_endpoints_and_the_ones_an_administrator_named():
    platform = {
        "issuer": "https://canvas.instructure.com",
        "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
        "jwks_url": "https://sso.canvaslms.com/api/lti/security/jwks",
        "origins": ["https://school.instructure.com"],
    }
    assert outbound.platform_origins(platform) == {
        "https://canvas.instructure.com",
        "https://sso.canvaslms.com",
        "https://school.instructure.com",
    }
    url = "https://School.Instructure.com:443/courses/1/deep_linking_response"
    assert outbound.check_platform_url(url, platform, "return") == url
    for bad in ("https://school.instructure.com.evil.test/", "http://school.instructure.com/"):
        with pytest.raises(outbound.UnsafeURL, match="not on an origin registered"):
            outbound.check_platform_url(bad, platform, "return")


class Server:
    """A loopback HTTP server answering every request with `answer` (raw bytes), written in
    `chunks` pieces `pause` seconds apart; it records what it was sent."""

    def __init__(self, answer: bytes, *, chunks: int = 1, pause: float = 0.0) -> None:
        self.answer, self.chunks, self.pause = answer, chunks, pause
        self.received = b""
        self.url = ""

    async def handle(self, reader, writer) -> None:
        try:
            self.received += await reader.readuntil(b"\r\n\r\n")
            size = -(-len(self.answer) // self.chunks)
            for start in range(0, len(self.answer), size):
                writer.write(self.answer[start : start + size])
                await writer.drain()
                await asyncio.sleep(self.pause)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def http_answer(status: str, body: bytes, headers: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{headers}"
    return head.encode() + b"\r\n" + body


@pytest.fixture
async def serve_raw():
    servers = []

    async def start(server: Server) -> Server:
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        servers.append(listening)
        server.url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
        return server

    yield start
    for listening in servers:
        listening.close()


async def test_production_never_sends_a_request_to_a_loopback_service(serve_raw):
    service = await serve_raw(Server(http_answer("200 OK", b'{"keys": []}')))
    port = service.url.rsplit(":", 1)[1]
    for host in ("127.0.0.1", "localhost", "127.1", "2130706433"):
        async with outbound.client(PRODUCTION) as http:
            with pytest.raises(outbound.UnsafeURL):
                await outbound.get_json(http, f"https://{host}:{port}/jwks")
    assert service.received == b""
    # The same service is reachable where private addresses are allowed (dev mode, tests).
    async with outbound.client(LOOPBACK) as http:
        _, document = await outbound.get_json(http, f"{service.url}/jwks")
    assert document == {"keys": []} and b"GET /jwks" in service.received


async def test_an_answer_larger_than_the_bound_is_refused(serve_raw):
    big = b"x" * (outbound.MAX_RESPONSE_BYTES + 10)
    service = await serve_raw(Server(http_answer("200 OK", big), chunks=40))
    async with outbound.client(LOOPBACK) as http:
        with pytest.raises(outbound.PlatformHTTPError, match="larger than allowed"):
            await outbound.request(http, "GET", service.url)


async def test_a_dripping_answer_is_cut_at_the_deadline(serve_raw):
    # Each piece comes well within the read timeout; the whole never within the deadline.
    service = await serve_raw(Server(http_answer("200 OK", b"y" * 40), chunks=40, pause=0.1))
    async with outbound.client(LOOPBACK) as http:
        with pytest.raises(outbound.PlatformHTTPError, match="no complete answer in 0.5 s"):
            await outbound.request(http, "GET", service.url, deadline=0.5)


async def test_a_remote_error_body_goes_to_the_log_not_into_the_reason(serve_raw, caplog):
    caplog.set_level(logging.WARNING, "agora.lti.outbound")
    service = await serve_raw(Server(http_answer("500 Oops", b"db password is hunter2")))
    async with outbound.client(LOOPBACK) as http:
        with pytest.raises(outbound.PlatformHTTPError) as failed:
            await outbound.request(http, "GET", f"{service.url}/x?token=abc")
    assert str(failed.value) == f"GET {service.url}/x: HTTP 500"
    assert failed.value.retriable and failed.value.status == 500
    assert "hunter2" in caplog.text


async def test_a_redirect_is_not_followed_where_the_client_follows_none(serve_raw):
    target = await serve_raw(Server(http_answer("200 OK", b"{}")))
    hop = await serve_raw(Server(http_answer("302 Found", b"", f"Location: {target.url}/\r\n")))
    async with outbound.client(LOOPBACK, follow_redirects=False) as http:
        with pytest.raises(outbound.PlatformHTTPError, match="redirect"):
            await outbound.request(http, "GET", hop.url)
    assert target.received == b""
    async with outbound.client(LOOPBACK) as http:  # service calls follow a few
        await outbound.request(http, "GET", hop.url)
    assert target.received


async def test_connection_failures_are_a_short_reason():
    async with outbound.client(LOOPBACK) as http:
        with pytest.raises(outbound.PlatformHTTPError, match="could not connect"):
            await outbound.request(http, "GET", "http://127.0.0.1:9/")


async def test_a_host_name_resolving_to_an_internal_address_gets_no_connection_at_all():
    """This machine's own name resolves to a loopback or private address (as an attacker's
    name pointing at an internal service would): refused before any TCP connection is opened,
    where httpx-secure alone opened one to pick the address, then refused it."""
    name = socket.gethostname()
    addresses = {info[4][0] for info in socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM)}
    if all(outbound.address_allowed(ipaddress.ip_address(a)) for a in addresses):
        pytest.skip(f"{name} resolves to public addresses here")
    connections = 0

    async def count(reader, writer):
        nonlocal connections
        connections += 1
        writer.close()

    family = socket.AF_INET6 if all(":" in a for a in addresses) else socket.AF_INET
    listening = await asyncio.start_server(count, host=sorted(addresses)[0], port=0, family=family)
    port = listening.sockets[0].getsockname()[1]
    try:
        async with outbound.client(PRODUCTION) as http:
            with pytest.raises(outbound.UnsafeURL, match="address Agora does not call"):
                await outbound.get_json(http, f"https://{name}:{port}/jwks")
        await asyncio.sleep(0.2)
    finally:
        listening.close()
    assert connections == 0


async def test_a_host_name_that_does_not_resolve_is_a_short_reason():
    async with outbound.client(PRODUCTION) as http:
        with pytest.raises(outbound.PlatformHTTPError, match="does not resolve"):
            await outbound.get_json(http, "https://no-such-host.invalid/jwks")


async def test_calls_go_through_the_egress_proxy_when_one_is_set():
    """AGORA_OUTBOUND_PROXY: the proxy is asked to connect to the LMS (a server behind it may
    not resolve public names itself); the URL is still checked before anything is sent."""
    asked: list[bytes] = []

    async def proxy(reader, writer):
        asked.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    listening = await asyncio.start_server(proxy, "127.0.0.1", 0)
    policy = outbound.Policy(proxy=f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}")
    try:
        async with outbound.client(policy) as http:
            with pytest.raises(outbound.PlatformHTTPError):
                await outbound.get_json(http, "https://lms.example.edu/jwks")
            with pytest.raises(outbound.UnsafeURL):  # refused here, the proxy never asked
                await outbound.get_json(http, "https://169.254.169.254/latest/meta-data")
    finally:
        listening.close()
    assert len(asked) == 1 and asked[0].startswith(b"CONNECT lms.example.edu:443 ")


def test_the_egress_proxy_setting_must_be_an_http_url():
    from agora.settings import SettingsError, load_settings

    assert load_settings(environ={"AGORA_OUTBOUND_PROXY": "http://proxy:3128"}).outbound_proxy
    with pytest.raises(SettingsError, match="AGORA_OUTBOUND_PROXY"):
        load_settings(environ={"AGORA_OUTBOUND_PROXY": "socks5://proxy:1080"})
