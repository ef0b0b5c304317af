"""The server starts as a newcomer starts it, and a page renders in Chromium."""

from __future__ import annotations

from tests.e2e.conftest import demo_session, open_page, screenshot_path


async def test_served_page_carries_the_session_in_its_meta_tag(server, context):
    token, course_id = await demo_session(server, "dev-learner-1")
    page = await open_page(context, server, token, f"/ui/courses/{course_id}/forum")
    assert await page.locator("meta[name=agora-session]").get_attribute("content") == token
    await page.screenshot(path=screenshot_path("smoke"), full_page=True)
