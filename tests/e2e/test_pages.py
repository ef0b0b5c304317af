"""Every page type in Chromium: zero serious/critical axe-core violations, a screenshot, French
rendering, and keyboard reachability of the main actions."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import check_accessibility, demo_session, launch

LEARNER_PAGES = [
    ("forum-home", "/forum", "Nouveau fil"),
    ("thread-list", "/forum/threads", "Trier par"),
    ("new-thread", "/forum/new", "Publier le fil"),
    ("search", "/forum/search?q=climate", "Rechercher dans le forum"),
    ("notifications", "/notifications", "Notifications"),
    ("assignments", "/assignments", "Évaluation par les pairs"),
]
STAFF_PAGES = [
    ("moderation", "/moderation", "Messages signalés"),
    ("learner-stats", "/moderation/learners", "Activité des apprenant·es"),
    ("assignment-editor", "/assignments/new", "Nouveau devoir"),
]


async def first_link(page, pattern: str) -> str:
    hrefs = await page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    return next(h for h in hrefs if re.search(pattern, h))


@pytest.mark.parametrize("locale", ["en", "fr"])
async def test_every_page_type_is_accessible_and_localised(server, context, locale):
    token, course_id = await demo_session(server, "dev-learner-1", locale=locale)
    staff_token, _ = await demo_session(server, "dev-instructor", locale=locale)
    base = f"/ui/courses/{course_id}"
    pages = [(token, name, path, fr) for name, path, fr in LEARNER_PAGES]
    pages += [(staff_token, name, path, fr) for name, path, fr in STAFF_PAGES]

    # Pages reached through links from the demo content.
    forum = await launch(context, server, token, base + "/forum/threads")
    pages.append(
        (token, "thread", await first_link(forum, r"/forum/threads/\d+$"), "Votre réponse")
    )
    listing = await launch(context, server, token, base + "/assignments")
    assignment = await first_link(listing, r"/assignments/\d+$")
    pages.append((token, "assignment", assignment, "Votre travail"))
    pages.append((staff_token, "assignment-dashboard", assignment, "Progression"))
    pages.append((staff_token, "doubtful-grades", assignment + "/doubtful", "Notes douteuses"))
    await forum.close()
    await listing.close()

    for who, name, path, french in pages:
        url = path if path.startswith("/ui/") else base + path
        page = await launch(context, server, who, url)
        assert await page.get_attribute("html", "lang") == locale, name
        if locale == "fr":
            assert french in await page.inner_text("body"), name
        await check_accessibility(page, f"{name}-{locale}")
        await page.close()


async def test_every_action_on_a_thread_is_reachable_by_keyboard(server, context):
    token, course_id = await demo_session(server, "dev-learner-2")
    listing = await launch(context, server, token, f"/ui/courses/{course_id}/forum/threads")
    thread = await first_link(listing, r"/forum/threads/\d+$")
    page = await launch(context, server, token, thread)
    await page.keyboard.press("Tab")
    first = await page.evaluate("document.activeElement.textContent.trim()")
    assert first == "Skip to main content", "the skip link comes first"
    reached = set()
    for _ in range(200):
        await page.keyboard.press("Tab")
        reached.add(
            await page.evaluate(
                """() => { const e = document.activeElement;
                   return (e.getAttribute('aria-label') || e.textContent || e.id || '').trim()
                          .split('\\n')[0].slice(0, 40); }"""
            )
        )
    for action in ("Forum", "Follow", "Upvote", "Reply", "Flag", "Preview", "Post reply"):
        assert any(r.startswith(action) for r in reached), (action, sorted(reached))
    # A reply box opens and takes text from the keyboard alone.
    reply = page.get_by_role("button", name="Reply").first
    await reply.focus()
    await page.keyboard.press("Enter")
    await page.locator("[id^=reply-slot-] form.reply-form textarea").first.wait_for()


async def test_reload_recovers_the_session_kept_in_the_tab(server, context):
    """A reload loses the header; the page reloads itself with the session kept in the tab."""
    token, course_id = await demo_session(server, "dev-learner-1")
    page = await launch(context, server, token, f"/ui/courses/{course_id}/forum")
    await page.get_by_role("link", name="All threads").click()
    await page.wait_for_url(re.compile(r"/forum/threads$"))
    await page.reload()
    await page.get_by_role("heading", name="All threads").wait_for()
    # …and the recovered page keeps working through htmx with the header.
    await page.get_by_role("link", name="Forum", exact=True).click()
    await page.get_by_role("heading", name="Forum").wait_for()
