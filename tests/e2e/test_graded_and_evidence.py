"""Graded discussion and participation evidence in Chromium, every person launched from the dev
LMS (real LTI 1.3 launches), moving only by what the pages offer:

- the instructor grades participation in a board (at least one thread), a learner sees the rule
  and their standing on the board, writes a thread there and sees the full score, the
  instructor sends the scores and the dev LMS gradebook shows the learner's score;
- a TA builds a participation-evidence snapshot, waits for it, opens its printable summary and
  looks one learner up.

Any console error, uncaught exception or failed request fails a journey."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.async_api import expect

from tests.e2e.conftest import READY, check_accessibility
from tests.e2e.test_journeys import post_patiently
from tests.e2e.test_staff_journeys import launch_forum, run_journey

BOARD = "Exam preparation"
LEARNER = "Amara Okafor"
THREAD = "My summary of the carbon cycle for the exam"


async def test_a_graded_board_from_rule_to_the_lms_gradebook(server, browser):
    async def journey(instructor_context, learner_context):
        staff = await launch_forum(instructor_context, server, "Inès Moreau")
        await staff.get_by_role("link", name="Moderation").first.click()
        await staff.get_by_role("link", name="Boards", exact=True).click()
        await (
            staff.locator(".card")
            .filter(has_text=BOARD)
            .get_by_role("link", name="Grading")
            .click()
        )
        await expect(staff.get_by_text("This board is not graded.")).to_be_visible()
        await staff.get_by_label("Points", exact=True).fill("10")
        await staff.get_by_label("Threads asked for", exact=True).fill("1")
        await staff.get_by_label("Replies asked for", exact=True).fill("0")
        await staff.get_by_role("button", name="Save").first.click()
        await expect(staff.get_by_role("status")).to_have_text("Saved.")
        await expect(staff.get_by_role("table")).to_contain_text(LEARNER)
        await check_accessibility(staff, "graded-board-staff")

        learner = await launch_forum(learner_context, server, LEARNER)
        await learner.get_by_role("link", name=BOARD).first.click()
        banner = learner.locator(".graded-board")
        await expect(banner).to_contain_text("This board is graded (out of 10)")
        await expect(banner).to_contain_text("0 so far")
        await learner.get_by_role("link", name="New thread").click()
        await learner.get_by_label("Title").fill(THREAD)
        await learner.locator("#thread-body").fill("Sources, sinks and the fast and slow cycles.")
        await post_patiently(learner, "Post thread")
        await expect(learner.get_by_role("heading", level=1)).to_have_text(THREAD)
        await learner.get_by_role("link", name="Forum", exact=True).click()
        await learner.get_by_role("link", name=BOARD).first.click()
        await expect(learner.locator(".graded-board")).to_contain_text("10 so far")
        await check_accessibility(learner, "graded-board-learner")

        await staff.reload()
        await staff.wait_for_function(READY)
        await staff.get_by_role("button", name="Send the scores to the gradebook now").click()
        await expect(staff.get_by_role("status")).to_contain_text("on their way")

        lms = await instructor_context.new_page()
        row = lms.locator("tr").filter(has_text=BOARD).filter(has_text=LEARNER)
        for _ in range(60):  # the worker records and sends the scores (AGS)
            await lms.goto(server.base_url + "/dev/lms")
            if await row.count():
                break
            await lms.wait_for_timeout(500)
        await expect(row.locator(".score")).to_have_text("10 / 10")

    await run_journey(browser, 2, journey)


async def test_a_ta_builds_and_reads_participation_evidence(server, browser):
    async def journey(ta_context):
        ta = await launch_forum(ta_context, server, "Tomás Alvarez")
        await ta.get_by_role("link", name="Moderation").first.click()
        await ta.get_by_role("link", name="Participation evidence").click()
        today = datetime.now(UTC).date().isoformat()
        await ta.get_by_label("From").fill("2026-01-01" if today > "2026-01-01" else today)
        await ta.get_by_label("To (included)").fill(today)
        await ta.get_by_role("button", name="Build a snapshot").click()
        ready = ta.locator("tr[data-status=ready]")
        await expect(ready).to_have_count(1, timeout=60_000)  # the page polls while it builds
        await ready.get_by_role("link", name="Summary").click()
        await expect(ta.get_by_role("heading", level=1)).to_contain_text("Participation evidence")
        await expect(ta.locator(".digests code").first).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        await ta.get_by_label("Name, email or user id").fill("Amara")
        await ta.get_by_role("button", name="Find").click()
        await expect(ta.locator(".evidence-learner")).to_contain_text(LEARNER)
        await check_accessibility(ta, "evidence-summary")

    await run_journey(browser, 1, journey)
