"""A person whose LMS speaks French, in a real browser: the dev LMS's language choice sends
`fr` in a signed launch (no forged token), Agora's pages answer in French, and an address that
does not exist is a French "not found" page with the way back to the course, not JSON."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import READY, Problems, check_accessibility

LEARNER = "Amara Okafor"


def unexpected(problems: Problems, expected_url: str) -> list[str]:
    """What went wrong apart from the one 404 the journey asks for (its answer and the console
    line Chromium writes about it)."""
    return [p for p in problems.seen if expected_url not in p and "status of 404" not in p]


async def test_a_french_launch_shows_french_pages_and_a_french_not_found_page(
    server, context, problems
):
    lms = await context.new_page()
    await lms.goto(server.base_url + "/dev/lms")
    await lms.get_by_role("link", name="Français").click()
    await lms.wait_for_url(re.compile(r"/dev/lms\?locale=fr"))
    await expect(lms.get_by_text("Français", exact=True)).to_have_attribute("aria-current", "true")
    row = lms.get_by_role("row").filter(has_text=LEARNER)
    await row.get_by_role("button", name="Course forum").click()
    await lms.wait_for_url(re.compile(r"/(lti/launch|ui/)"))
    await lms.wait_for_function(READY)

    # The forum home in French: the page's language, its navigation, its headings.
    assert await lms.locator("html").get_attribute("lang") == "fr"
    nav = lms.get_by_role("navigation", name="Sections du cours")
    await expect(nav.get_by_role("link", name="Rechercher")).to_be_visible()
    await expect(nav.get_by_role("link", name="Évaluation par les pairs")).to_be_visible()
    await check_accessibility(lms, "french-forum-home")
    course_id = await lms.locator("meta[name=agora-course]").get_attribute("content")

    # Peer review, reached through the navigation, is French too.
    await nav.get_by_role("link", name="Évaluation par les pairs").click()
    await lms.wait_for_url(re.compile(rf"/ui/courses/{course_id}/assignments"))
    assert await lms.locator("html").get_attribute("lang") == "fr"

    # An address no page answers: a French page (not JSON) with the way back to the course.
    missing = f"{server.base_url}/ui/courses/{course_id}/forum/nowhere"
    response = await lms.goto(missing)
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    await lms.wait_for_function(READY)
    assert await lms.locator("html").get_attribute("lang") == "fr"
    await expect(lms.get_by_role("heading", level=1)).to_have_text("Introuvable")
    gone = "Cette page n'existe pas ou n'est plus disponible."
    await expect(lms.get_by_text(gone)).to_be_visible()
    await expect(lms.get_by_text("Not Found")).to_have_count(0)
    await check_accessibility(lms, "french-not-found")
    await lms.locator(".way-back").get_by_role("link", name="Forum").click()
    await lms.wait_for_url(re.compile(rf"/ui/courses/{course_id}/forum$"))
    await expect(lms.get_by_role("navigation", name="Sections du cours")).to_be_visible()
    assert await lms.locator("html").get_attribute("lang") == "fr"
    assert not unexpected(problems, missing), problems.seen
