"""Agora inside an LMS iframe on another site: the launch, navigation and actions work with
third-party cookies blocked (the session is a Bearer header), the iframe is asked to fit the
content (lti.frameResize), a reload, a link opened in the frame and back keep the person in (the
partitioned session cookie), and a site that is not a registered platform cannot frame Agora."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from agora.demo import DEV_ISSUER
from tests.e2e.conftest import READY, screenshot_path, watch_csp

# The dev LMS's registered issuer: a platform origin Agora's frame-ancestors lists, and another
# site than the tool on 127.0.0.1 (both loopback: the browser never resolves this name, the test
# serves the LMS page itself).
LMS_ORIGIN = DEV_ISSUER
STRANGER_ORIGIN = "http://localhost:9"  # no platform registered there


def lms_shell(tool_url: str) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Course · LMS</title></head><body>
<h1>Climate Science 101 — week 2</h1>
<iframe id="tool" title="Agora" src="{tool_url}" style="width:100%;height:400px"></iframe>
<script>
  window.messages = [];
  window.addEventListener("message", (e) => {{
    window.messages.push(e.data);
    if (e.data && e.data.subject === "lti.frameResize")
      document.getElementById("tool").style.height = e.data.height + "px";
  }});
</script></body></html>"""


async def open_lms(browser_context, server, origin: str = LMS_ORIGIN):
    """A page of the LMS on `origin` framing the dev LMS's launch buttons."""
    page = await browser_context.new_page()

    async def serve_shell(route):
        await route.fulfill(content_type="text/html", body=lms_shell(server.base_url + "/dev/lms"))

    await page.route(origin + "/**", serve_shell)
    await page.goto(origin + "/course")
    return page


def agora_frame(page, server):
    return next(f for f in page.frames if f.url.startswith(server.base_url))


async def test_embedded_in_a_cross_site_iframe_with_third_party_cookies_blocked(
    server, cookieless_browser
):
    page = await open_lms(cookieless_browser, server)
    tool = page.frame_locator("#tool")
    row = tool.get_by_role("row").filter(has_text="Jonas Weber")
    await row.get_by_role("button", name="Course forum").click()
    await expect(tool.get_by_role("heading", name="Forum", exact=True)).to_be_visible()

    frame = agora_frame(page, server)
    await frame.wait_for_function(READY)
    # The browser really treats Agora as a third party without cookie access here.
    assert await frame.evaluate("document.hasStorageAccess()") is False
    cookies_seen = await frame.evaluate("document.cookie")
    assert "agora_session" not in cookies_seen, "no session cookie is readable in the frame"

    # Navigate and act inside the iframe: every request carries the Bearer header.
    await tool.get_by_role("link", name="All threads").click()
    await expect(tool.get_by_role("heading", name="All threads")).to_be_visible()
    await tool.get_by_role("link", name="Notifications").click()
    await expect(tool.get_by_role("heading", name="Notifications")).to_be_visible()

    # The page asked the LMS to size the iframe to its content.
    await page.wait_for_function(
        "window.messages.some(m => m && m.subject === 'lti.frameResize' && m.height > 100)"
    )
    sizes = await page.evaluate("JSON.stringify(window.messages)")
    assert any(m.get("subject") == "lti.frameResize" for m in json.loads(sizes))
    await page.screenshot(path=screenshot_path("embedded"), full_page=True)
    await page.close()


@pytest.fixture(params=["cookies-allowed", "third-party-cookies-blocked"])
async def embedding_browser(request, browser, cookieless_browser):
    if request.param == "third-party-cookies-blocked":
        yield cookieless_browser
        return
    context = await browser.new_context(viewport={"width": 1000, "height": 900})
    watch_csp(context)
    yield context
    await context.close()


async def test_reload_link_and_back_inside_the_iframe_keep_the_person_in(server, embedding_browser):
    """The browser's own navigations carry no Bearer header: the partitioned session cookie set
    at launch answers them, in a fresh tab too (no session kept in the tab to fall back on)."""
    page = await open_lms(embedding_browser, server)
    tool = page.frame_locator("#tool")
    row = tool.get_by_role("row").filter(has_text="Mei Chen")
    await row.get_by_role("button", name="Course forum").click()
    await expect(tool.get_by_role("heading", name="Forum", exact=True)).to_be_visible()
    frame = agora_frame(page, server)
    await frame.wait_for_function(READY)
    course = await frame.locator("meta[name=agora-course]").get_attribute("content")
    # The tab's copy of the token is gone: only the cookie can answer what follows.
    await frame.evaluate("window.sessionStorage.clear()")
    documents: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: (
            documents.append((r.status, r.url))
            if r.request.resource_type == "document" and r.url.startswith(server.base_url)
            else None
        ),
    )

    await tool.get_by_role("link", name="All threads").click()
    await expect(tool.get_by_role("heading", name="All threads")).to_be_visible()
    await frame.evaluate("location.reload()")
    await expect(tool.get_by_role("heading", name="All threads")).to_be_visible()

    search = f"{server.base_url}/ui/courses/{course}/forum/search"
    await frame.evaluate(f"location.href = {json.dumps(search)}")  # a link opened in the frame
    await expect(tool.get_by_role("heading", name="Search")).to_be_visible()
    await frame.evaluate("history.back()")
    await expect(tool.get_by_role("heading", name="All threads")).to_be_visible()

    assert documents and all(status == 200 for status, _ in documents), documents
    frame = agora_frame(page, server)
    await frame.wait_for_function(READY)
    assert await frame.locator("meta[name=agora-session]").get_attribute("content")
    assert "agora_session" not in await frame.evaluate("document.cookie")  # HttpOnly
    await page.close()


async def test_a_site_that_is_no_registered_platform_cannot_frame_agora(server, context, csp_clean):
    page = await open_lms(context, server, origin=STRANGER_ORIGIN)
    await page.wait_for_timeout(1_000)
    assert csp_clean and all("frame-ancestors" in v for v in csp_clean), csp_clean
    csp_clean.clear()  # the one violation this test expects
    frames = [f for f in page.frames if f.url.startswith(server.base_url)]
    for frame in frames:  # Chromium leaves the frame empty (an error page), never Agora's page
        assert await frame.locator("table").count() == 0
    await page.close()
