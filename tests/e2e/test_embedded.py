"""Agora inside an LMS iframe on another site, with third-party cookies blocked: the launch,
navigation and actions still work (the session is a Bearer header), and the iframe is asked to
fit the content (lti.frameResize)."""

from __future__ import annotations

import json

from playwright.async_api import expect

from tests.e2e.conftest import READY, screenshot_path

LMS_ORIGIN = "http://localhost:9"  # another site than 127.0.0.1; both loopback


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


async def test_embedded_in_a_cross_site_iframe_with_third_party_cookies_blocked(
    server, cookieless_browser
):
    page = await cookieless_browser.new_page()

    async def serve_shell(route):
        await route.fulfill(content_type="text/html", body=lms_shell(server.base_url + "/dev/lms"))

    await page.route(LMS_ORIGIN + "/**", serve_shell)
    await page.goto(LMS_ORIGIN + "/course")
    tool = page.frame_locator("#tool")
    row = tool.get_by_role("row").filter(has_text="Jonas Weber")
    await row.get_by_role("button", name="Course forum").click()
    await expect(tool.get_by_role("heading", name="Forum", exact=True)).to_be_visible()

    frame = next(f for f in page.frames if f.url.startswith(server.base_url))
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
