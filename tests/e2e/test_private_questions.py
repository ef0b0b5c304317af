"""A private question in Chromium (issue 12.5), every person launched from the dev LMS:
a learner asks the staff privately; another learner finds it neither in the thread list nor by
search; the TA answers it and makes it public with the asker's name hidden; the other learner
then reads it, without the asker's name.

Any console error, uncaught exception or failed request fails the journey."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.conftest import check_accessibility, screenshot_path
from tests.e2e.test_journeys import post_patiently
from tests.e2e.test_staff_journeys import TA, launch_forum, reload, run_journey

TITLE = "Private: is my zeolite lab result plausible?"
BODY = "I measured a zeolite adsorption of 40%. Is that plausible, or did I botch the lab?"
ANSWER = "Plausible: the handout's range is 30 to 45%. Sharing this with the course."
ASKER = "Amara Okafor"


async def search_for(page, words: str):
    await page.get_by_role("link", name="Search", exact=True).click()
    await page.get_by_label("Words to find").fill(words)
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page.locator("#search-results")).to_contain_text(words, ignore_case=True)
    return page.locator("#search-results")


async def test_a_private_question_answered_then_made_public_anonymously(server, browser):
    async def journey(asker_context, peer_context, ta_context):
        asker = await launch_forum(asker_context, server, ASKER)
        await asker.get_by_role("link", name="New thread").click()
        await asker.get_by_label("Title").fill(TITLE)
        await asker.locator("#thread-body").fill(BODY)
        await asker.get_by_label("Private: only the staff see my question").check()
        await check_accessibility(asker, "learner-private-question-form")
        await post_patiently(asker, "Post thread")
        await expect(asker.get_by_role("heading", level=1)).to_have_text(TITLE)
        await expect(asker.locator(".thread-head .badge", has_text="Private")).to_be_visible()
        await expect(
            asker.get_by_text("only the staff and one learner see this thread")
        ).to_be_visible()
        thread_url = asker.url
        await asker.screenshot(
            path=str(screenshot_path("learner-private-question")), full_page=True
        )

        # Another learner: not in the list, not found by search.
        peer = await launch_forum(peer_context, server, "Lucas Bernard")
        await peer.get_by_role("link", name="All threads").click()
        await expect(peer.locator(".thread-row").first).to_be_visible()
        await expect(peer.get_by_role("link", name=TITLE)).to_have_count(0)
        results = await search_for(peer, "zeolite")
        await expect(results.get_by_role("link", name=TITLE)).to_have_count(0)
        assert "zeolite adsorption" not in await peer.content()
        await peer.screenshot(
            path=str(screenshot_path("peer-search-finds-no-private")), full_page=True
        )

        # The TA finds it, answers, and makes it public without the asker's name.
        ta = await launch_forum(ta_context, server, TA)
        await ta.get_by_role("link", name="All threads").click()
        await ta.get_by_role("link", name=TITLE).click()
        await expect(ta.locator(".thread-head")).to_contain_text(ASKER)
        await ta.locator("#reply-root").fill(ANSWER)
        await post_patiently(ta, "Post reply")
        await expect(ta.get_by_text(ANSWER)).to_be_visible()
        await ta.get_by_label("Hide the learner's name from other learners").check()
        await ta.get_by_role("button", name="Make public").click()
        await expect(ta.locator(".thread-head .badge", has_text="Private")).to_have_count(0)
        await expect(ta.get_by_role("button", name="Make public")).to_have_count(0)
        await check_accessibility(ta, "ta-made-private-question-public")

        # The other learner now reads it, without the asker's name.
        await reload(peer, thread_url)
        await expect(peer.get_by_role("heading", level=1)).to_have_text(TITLE)
        await expect(peer.get_by_text(ANSWER)).to_be_visible()
        assert ASKER not in await peer.content()
        await peer.screenshot(
            path=str(screenshot_path("peer-reads-published-question")), full_page=True
        )
        # ... and the asker still sees it as hers.
        await reload(asker, thread_url)
        await expect(asker.get_by_text(ANSWER)).to_be_visible()

    await run_journey(browser, 3, journey)
