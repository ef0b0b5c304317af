"""Browser tests: a real `agora serve --worker --demo` subprocess driven by Debian's Chromium.

They skip (with the reason) when /usr/bin/chromium or the playwright package is missing, so
`make test` passes on a machine with only Python; .ci/run installs Chromium so CI runs them.
Playwright's own browser downloads are never used (`executable_path` points at Debian's build).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
# The page is loaded and htmx has processed it (boosted links carry the session from here on).
# A function, not an expression: Playwright polls an expression with eval, which the pages'
# Content-Security-Policy forbids.
READY = "() => window.htmx !== undefined && document.readyState === 'complete'"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Tests embed the loopback server in a page whose content Playwright serves; a real LMS and
    # Agora are both public, so Chromium's local-network-access gate does not apply to them.
    "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessRespectPreflightResults",
]

try:
    from playwright.async_api import expect

    # Two cores run the app, its PostgreSQL, Redis, the worker, Chromium and pytest at once:
    # give assertions on what a page shows time to come true before calling them false.
    expect.set_options(timeout=15_000)
    _PLAYWRIGHT = ""
except ImportError:  # pragma: no cover - dev extras not installed
    _PLAYWRIGHT = "the playwright package is not installed (pip install -e '.[dev]')"


def _is_browser_test(item: pytest.Item) -> bool:
    return "tests/e2e" in str(item.path).replace(os.sep, "/")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: `-m "not e2e"` must see the marker
def pytest_collection_modifyitems(config, items):
    """Mark every browser test `e2e`, in one pytest-xdist group (one server and Chromium for
    them all, in one worker), and skip them all with the reason when Chromium is missing."""
    browser_tests = [item for item in items if _is_browser_test(item)]
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
        if xdist:
            item.add_marker(pytest.mark.xdist_group("e2e"))
    reason = _PLAYWRIGHT or (
        "" if CHROMIUM.exists() else f"{CHROMIUM} is missing (apt-get install chromium)"
    )
    if not reason:
        return
    skip = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
    for item in browser_tests:
        item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base_url: str
    data_dir: Path
    database_url: str
    log: Path


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """The whole service as a newcomer runs it: embedded PostgreSQL/Redis, worker, demo, dev LMS."""
    data_dir = tmp_path_factory.mktemp("agora-e2e")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env |= {
        "AGORA_DEV": "1",
        "AGORA_DATA_DIR": str(data_dir),
        "AGORA_HOST": "127.0.0.1",
        "AGORA_PORT": str(port),
        "AGORA_LOG_LEVEL": "warning",
    }
    log = data_dir / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "agora.cli", "serve", "--worker", "--demo"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(base_url, process, log)
        yield Server(base_url, data_dir, _database_url(data_dir), log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"agora serve exited:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"agora serve never became ready:\n{log.read_text()[-4000:]}")


def _database_url(data_dir: Path) -> str:
    """The server's embedded PostgreSQL, read from its postmaster.pid (the tests never join or
    stop it: the server process owns it)."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir / "postgres")
    assert info is not None, f"no running PostgreSQL under {data_dir}"
    return info.get_uri()


@pytest.fixture(scope="session")
async def playwright_driver():
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        yield driver


# ---- what went wrong in the browser ------------------------------------------------------------

# Content-Security-Policy violations seen on any page's console during the current test. Every
# context the fixtures create reports here, and every browser test fails on one (csp_clean).
CSP_VIOLATIONS: list[str] = []


def watch_csp(context) -> None:
    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{message.text} ({message.location.get('url')})")

    context.on("console", on_console)


@pytest.fixture(autouse=True)
def csp_clean():
    """No page may break its Content-Security-Policy (an inline script or style, a foreign image):
    the policy blocks it, so something on the page silently does not work."""
    CSP_VIOLATIONS.clear()
    yield CSP_VIOLATIONS
    assert not CSP_VIOLATIONS, "\n".join(CSP_VIOLATIONS)


def _favicon(url: str) -> bool:
    """Chromium asks for a favicon Agora does not serve; nothing else may fail."""
    return url.split("?")[0].endswith("/favicon.ico")


# The page's live event stream (Server-Sent Events): a reload or navigation aborts it on the
# client side, which Chromium reports as a failed request. An error the server answers on the
# stream is an HTTP status, which still counts.
LIVE_STREAM = re.compile(r"/api/v1/courses/\d+/events(\?|$)")
# Parts a page fetches by itself after loading (a thread's live refresh, an assignment's due
# date and schedule): leaving the page while one is on its way aborts it, as a person leaving
# would; their answers, when they come, are still checked like any other.
BACKGROUND_PARTS = re.compile(
    r"/ui/courses/\d+/(forum/threads/\d+/live|assignments/\d+/(due|schedule))(\?|$)"
)


class Problems:
    """What went wrong in the browser while a journey ran: console errors, uncaught exceptions,
    failed requests, 4xx/5xx answers."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, context) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.seen.append(f"uncaught: {error.error}"))
        context.on("requestfailed", self._failed)
        context.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error" and not _favicon(message.location.get("url", "")):
            self.seen.append(f"console: {message.text} ({message.location})")

    def _failed(self, request) -> None:
        if request.failure == "net::ERR_ABORTED" and (
            LIVE_STREAM.search(request.url) or BACKGROUND_PARTS.search(request.url)
        ):
            return  # leaving or reloading a page cuts what it was still fetching by itself
        self.seen.append(f"failed: {request.method} {request.url} {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400 and not _favicon(response.url):
            self.seen.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.fixture
def problems(context) -> Problems:
    watcher = Problems()
    watcher.watch(context)
    return watcher


# ---- browsers ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def browser(playwright_driver):
    browser = await playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    await browser.close()


@pytest.fixture(scope="session")
async def cookieless_browser(playwright_driver, tmp_path_factory):
    """Chromium with third-party cookies blocked (profile setting, as a user would set it)."""
    profile = tmp_path_factory.mktemp("chromium-3pc-blocked")
    (profile / "Default").mkdir()
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"block_third_party_cookies": True, "cookie_controls_mode": 1}})
    )
    context = await playwright_driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"],
    )
    watch_csp(context)
    yield context
    await context.close()


@pytest.fixture
async def context(browser) -> AsyncIterator:
    ctx = await browser.new_context(viewport={"width": 1000, "height": 900})
    watch_csp(ctx)
    yield ctx
    await ctx.close()


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


# ---- sessions straight from the database (pages checked one by one, without an LMS) ----------


async def demo_session(server: Server, sub: str, *, locale: str = "en") -> tuple[str, int]:
    """A session for a demo person, as a launch would create it: (token, course id)."""
    import asyncpg

    from agora.db import init_connection
    from agora.demo import DEMO_CONTEXT_ID
    from agora.sessions import create_session

    connection = await asyncpg.connect(server.database_url)
    try:
        await init_connection(connection)
        row = await connection.fetchrow(
            """SELECT c.id AS course_id, u.id AS user_id, m.role
                 FROM courses c JOIN memberships m ON m.course_id = c.id
                 JOIN users u ON u.id = m.user_id
                WHERE c.context_id = $1 AND u.sub = $2""",
            DEMO_CONTEXT_ID,
            sub,
        )
        token = await create_session(
            connection,
            user_id=row["user_id"],
            course_id=row["course_id"],
            role=row["role"],
            ttl_seconds=3600,
            locale=locale,
        )
    finally:
        await connection.close()
    return token, row["course_id"]


async def open_page(context, server: Server, token: str, path: str):
    """Open a page the way the app's own htmx requests reach it: with the Bearer header."""
    await context.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    page = await context.new_page()
    response = await page.goto(server.base_url + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    await page.wait_for_function(READY)
    return page


async def launch(context, server: Server, token: str, path: str):
    """Open `path` as an LTI launch would: only this first document request carries the session
    (as the launch answer does); everything after relies on the page's meta tag and htmx."""
    page = await context.new_page()
    url = server.base_url + path

    async def add_session(route):
        await route.continue_(headers=route.request.headers | {"authorization": f"Bearer {token}"})

    await page.route(url, add_session)
    response = await page.goto(url)
    await page.unroute(url, add_session)
    assert response is not None and response.status == 200, (path, response and response.status)
    await page.wait_for_function(READY)
    return page


async def check_accessibility(page, name: str) -> None:
    """axe-core on the page as it is: no serious or critical violation; plus a screenshot."""
    from axe_playwright_python.async_playwright import Axe

    await page.screenshot(path=screenshot_path(name), full_page=True)
    results = await Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: " + "\n".join(bad)


async def launch_from_dev_lms(context, server: Server, person: str, link: str = "Course forum"):
    """A real LTI 1.3 launch: the dev LMS's button → /lti/login → authorize → signed id_token
    posted to /lti/launch → the launch page, which carries the session in its meta tag."""
    page = await context.new_page()
    await page.goto(server.base_url + "/dev/lms")
    row = page.get_by_role("row").filter(has_text=person)
    await row.get_by_role("button", name=link).click()
    await page.wait_for_url(re.compile(r"/(lti/launch|ui/)"))
    await page.wait_for_function(READY)
    assert await page.locator("meta[name=agora-session]").get_attribute("content")
    return page
