"""Deadlines that act and late work, in Chromium, every person launched from the dev LMS: the
instructor sets the due dates, a late-work policy and one learner's extension; two learners
submit on time; the deadline passes and the worker (not the instructor) opens reviewing; the
learner with the extension submits after the deadline without a penalty, and a learner without
one submits late and reads their penalty and why.

Any console error, uncaught exception or failed request fails the journey."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from tests.e2e.conftest import READY, check_accessibility, screenshot_path
from tests.e2e.test_staff_journeys import launch_forum, reload, run_journey

TITLE = "Essay: the albedo feedback"
INSTRUCTOR = "Inès Moreau"
ON_TIME = ["Amara Okafor", "Lucas Bernard"]
EXTENDED = "Mei Chen"
LATE = "Jonas Weber"
EXTENSION_REASON = "Medical note received"


def minute(at: datetime) -> str:
    """A datetime-local field's value (the pages read it as UTC)."""
    return at.strftime("%Y-%m-%dT%H:%M")


async def new_assignment(context, server, title: str, prompt: str):
    """The instructor's new-assignment form, launched from the dev LMS, title and prompt filled."""
    staff = await launch_forum(context, server, INSTRUCTOR)
    await staff.get_by_role("link", name="Peer review").click()
    await staff.get_by_role("link", name="New assignment").click()
    await staff.wait_for_url(re.compile(r"/assignments/new$"))
    await staff.wait_for_function(READY)  # htmx bound: the form posts, not a native GET
    await staff.get_by_label("Title").fill(title)
    await staff.locator("#prompt").fill(prompt)
    return staff


async def open_assignment(page):
    await page.get_by_role("link", name="Peer review").click()
    await page.get_by_role("link", name=TITLE).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


async def test_worker_opens_reviewing_at_the_deadline_and_late_work_shows_its_penalty(
    server, browser
):
    async def journey(staff_context, *learner_contexts):
        now = datetime.now(UTC)
        staff = await new_assignment(
            staff_context, server, TITLE, "How does melting sea ice warm the Arctic?"
        )
        await staff.locator("#crit-0-name").fill("Accuracy")
        await staff.locator("#crit-0-options").fill("Wrong = 0\nRight = 4")
        await staff.get_by_label("Reviews per submission").fill("1")
        await staff.get_by_label("Reviews each learner does").fill("1")
        await staff.get_by_label("Allocation").select_option("dynamic")
        await staff.get_by_label("Submission deadline (UTC)").fill(minute(now + timedelta(days=1)))
        await staff.get_by_label("Review deadline (UTC)").fill(minute(now + timedelta(days=3)))
        await staff.get_by_role("button", name="Create the assignment").click()
        # a loaded machine (two cores shared) can take a while to answer a whole page
        await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE, timeout=60_000)
        assignment_url = staff.url
        await staff.get_by_role("button", name="Move to: Submission").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Submission")

        # The dashboard shows the schedule; the instructor sets the late-work policy.
        schedule = staff.locator("[data-schedule]")
        await expect(schedule.locator("[data-next-switch]")).to_contain_text(
            "Next switch: Peer review at"
        )
        await schedule.get_by_text("Change the schedule and the late-work policy").click()
        await staff.get_by_label("Penalty per day late (%)").fill("10")
        await staff.get_by_label(
            "Accept late work (with the penalty) until the review deadline"
        ).check()
        await staff.get_by_role("button", name="Save the schedule").click()
        await expect(staff.locator("[data-schedule]")).to_contain_text(
            "10% per day late, at most 100%"
        )

        # An extension for one learner, with a reason she will read.
        await staff.locator("#ext-learner").select_option(label=EXTENDED)
        await staff.get_by_label("New due date (UTC)").fill(minute(now + timedelta(days=2)))
        await staff.get_by_label("Reason (shown to the learner)").fill(EXTENSION_REASON)
        await staff.get_by_role("button", name="Grant the extension").click()
        await expect(staff.locator("#extensions tbody tr")).to_contain_text(EXTENDED)

        # Two learners submit on time.
        pages = {}
        for name, context in zip([*ON_TIME, EXTENDED, LATE], learner_contexts, strict=True):
            pages[name] = page = await launch_forum(context, server, name)
            await open_assignment(page)
        for n, name in enumerate(ON_TIME):
            page = pages[name]
            await page.locator("#submission-body").fill(f"Essay {n}: darker water absorbs more.")
            await page.get_by_role("button", name="Submit").click()
            await expect(page.get_by_text("Saved.")).to_be_visible()

        # The deadline passes (the instructor moves it to a minute ago) and the worker, not the
        # instructor, opens reviewing within a minute.
        await staff.get_by_role("link", name="Edit the assignment").click()
        await staff.wait_for_url(re.compile(r"/edit$"))
        await staff.wait_for_function(READY)
        past = datetime.now(UTC) - timedelta(minutes=1)
        await staff.get_by_label("Submission deadline (UTC)").fill(minute(past))
        await staff.get_by_role("button", name="Save").click()
        await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE, timeout=60_000)
        step = staff.locator(".phase-steps [aria-current=step]")
        for _ in range(90):  # the cron job runs every minute
            if await step.text_content() == "Peer review":
                break
            await staff.wait_for_timeout(1000)
            await reload(staff, assignment_url)
        await expect(step).to_have_text("Peer review")
        await expect(staff.locator('[data-switch="review"]')).to_contain_text("Done")
        await staff.screenshot(path=screenshot_path("deadlines-dashboard"), full_page=True)

        # The learner with the extension still submits, without a penalty.
        mei = pages[EXTENDED]
        await reload(mei, assignment_url)
        due = mei.locator("[data-due]")
        await expect(due).to_contain_text("Your extension: submit by")
        await expect(due).to_contain_text(EXTENSION_REASON)
        await mei.locator("#submission-body").fill("Essay: ice-albedo feedback, late.")
        await mei.get_by_role("button", name="Submit").click()
        await expect(mei.get_by_text("Saved.")).to_be_visible()
        await expect(mei.locator("[data-late-penalty]")).to_have_count(0)

        # A learner without one submits late and reads the penalty and why.
        jonas = pages[LATE]
        await reload(jonas, assignment_url)
        await jonas.locator("#submission-body").fill("Essay: sea ice, submitted late.")
        await jonas.get_by_role("button", name="Submit").click()
        await expect(jonas.get_by_text("Saved.")).to_be_visible()
        penalty = jonas.locator("[data-late-penalty]")
        await expect(penalty).to_contain_text("Late penalty: −10%")
        await expect(penalty).to_contain_text("after your due date")
        await jonas.screenshot(path=screenshot_path("deadlines-late-learner"), full_page=True)
        await check_accessibility(jonas, "late-learner-due-date")

    await run_journey(browser, 5, journey)
