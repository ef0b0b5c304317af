"""An announcement in Chromium (issue 12.6), every person launched from the dev LMS: the
instructor posts a course announcement; a learner finds it in her notifications (the worker fans
it out through the outbox), opens it, sees it pinned first in the thread list, and cannot reply;
the instructor then allows replies from the thread's tools and the learner can answer.

Any console error, uncaught exception or failed request fails the journey."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.conftest import check_accessibility, screenshot_path
from tests.e2e.test_journeys import post_patiently
from tests.e2e.test_staff_journeys import INSTRUCTOR, launch_forum, reload, run_journey

TITLE = "Announcement: the week 4 quiz moves to Friday"
BODY = "The quiz on the carbon cycle opens Friday at 9:00 instead of Wednesday."


async def test_an_announcement_reaches_a_learner_who_cannot_reply(server, browser):
    async def journey(instructor_context, learner_context):
        instructor = await launch_forum(instructor_context, server, INSTRUCTOR)
        await instructor.get_by_role("link", name="New thread").click()
        await instructor.get_by_label("Discussion").check()
        await instructor.get_by_label("Title").fill(TITLE)
        await instructor.locator("#thread-body").fill(BODY)
        await instructor.get_by_label("Announcement: pinned, and every member is notified").check()
        await check_accessibility(instructor, "instructor-announcement-form")
        await post_patiently(instructor, "Post thread")
        await expect(instructor.get_by_role("heading", level=1)).to_have_text(TITLE)
        head = instructor.locator(".thread-head")
        await expect(head.locator(".badge", has_text="Announcement")).to_be_visible()
        await expect(head.locator(".badge", has_text="Pinned")).to_be_visible()
        thread_url = instructor.url

        # The learner hears of it in her notifications (the worker's batched fan-out).
        learner = await launch_forum(learner_context, server, "Mei Chen")
        await learner.get_by_role("link", name="Notifications", exact=True).click()
        await expect(learner.get_by_role("heading", level=1)).to_be_visible()
        note = learner.locator("li.notification", has_text=TITLE)
        for _ in range(30):
            if await note.count():
                break
            await learner.wait_for_timeout(1_000)
            await reload(learner, learner.url)
        await expect(note).to_contain_text("made an announcement")
        await expect(note).to_contain_text(INSTRUCTOR)
        await check_accessibility(learner, "learner-announcement-notification")
        await note.get_by_role("link", name=TITLE).click()
        await expect(learner.get_by_role("heading", level=1)).to_have_text(TITLE)
        await expect(learner.get_by_text(BODY)).to_be_visible()
        await expect(learner.locator("#reply-root")).to_have_count(0)
        await expect(learner.get_by_text("This thread is closed to new replies.")).to_be_visible()
        await learner.screenshot(
            path=str(screenshot_path("learner-reads-announcement")), full_page=True
        )

        # Pinned first in the thread list.
        await learner.get_by_role("link", name="Forum", exact=True).click()
        await learner.get_by_role("link", name="All threads").click()
        first = learner.locator(".thread-row").first
        await expect(first).to_contain_text(TITLE)
        await expect(first.locator(".badge", has_text="Announcement")).to_be_visible()
        await learner.screenshot(
            path=str(screenshot_path("learner-list-announcement-first")), full_page=True
        )

        # The instructor allows replies; the learner can now answer.
        await reload(instructor, thread_url)
        await instructor.locator("summary", has_text="Moderate this thread").click()
        await instructor.get_by_label("Action").select_option(label="Unlock")
        await instructor.get_by_role("button", name="Apply").click()
        await expect(head.locator(".badge", has_text="Locked")).to_have_count(0)
        await reload(learner, thread_url)
        await learner.locator("#reply-root").fill("Thanks, noted!")
        await post_patiently(learner, "Post reply")
        await expect(learner.get_by_text("Thanks, noted!")).to_be_visible()

    await run_journey(browser, 2, journey)
