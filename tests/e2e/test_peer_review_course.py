"""A peer-reviewed assignment through a whole course, in Chromium, every person launched from the
dev LMS (real LTI 1.3 launches) in a browser of their own, as issue 13's "done when" asks:

the instructor creates an assignment with peer review and a self-assessment (weights 3 and 1),
a review-quality share of 20%, a submission deadline and one learner's extension; two learners
submit, one of them assessing her own work; the deadline passes and the deadline job (what the
worker's cron runs every minute) opens reviewing, not the instructor; the learner with the
extension submits after the deadline, without a penalty; everyone reviews two peers; the worker
computes the grades with each reviewer's review quality; the instructor releases them and reads
everyone's review quality, worst first, from the dashboard; and the dev LMS gradebook shows every
learner's score rounded.

Any console error, uncaught exception or failed request fails the journey."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from agora.db import create_pool
from peerreview import jobs
from tests.e2e.conftest import READY, check_accessibility, screenshot_path
from tests.e2e.test_deadlines import minute, new_assignment
from tests.e2e.test_self_assessment import settled
from tests.e2e.test_staff_journeys import launch_forum, reload, run_journey

TITLE = "Essay: thawing permafrost and the carbon budget"
SELF_ASSESSING = "Amara Okafor"
ON_TIME = [SELF_ASSESSING, "Lucas Bernard"]
EXTENDED = "Mei Chen"
LEARNERS = [*ON_TIME, EXTENDED]
EXTENSION_REASON = "Away for a family emergency"


async def open_assignment(page, url: str) -> None:
    await reload(page, url)
    await settled(page)


async def test_a_peer_reviewed_assignment_from_submission_to_the_lms_gradebook(server, browser):
    async def journey(staff_context, *learner_contexts):
        now = datetime.now(UTC)
        staff = await new_assignment(
            staff_context, server, TITLE, "Why does thawing permafrost warm the climate?"
        )
        await staff.locator("#crit-0-name").fill("Accuracy")
        await staff.locator("#crit-0-options").fill("Wrong = 0\nPartly right = 2\nRight = 4")
        await staff.get_by_role("button", name="Add a criterion").click()
        await staff.locator("#crit-1-name").fill("Clarity")
        await staff.locator("#crit-1-options").fill("Unclear = 0\nClear = 2")
        await staff.get_by_label("Reviews per submission").fill("2")
        await staff.get_by_label("Reviews each learner does").fill("2")
        await staff.get_by_label("Allocation").select_option("dynamic")
        await staff.get_by_label("Grading method").select_option("mean")
        await staff.get_by_label("Self-assessment", exact=True).check()
        await staff.get_by_label("Weight of the peer grade").fill("3")
        await staff.get_by_label("Weight of the self-assessment").fill("1")
        await staff.get_by_label("Share of the grade for the quality").fill("20")
        await staff.get_by_label("Submission deadline (UTC)").fill(minute(now + timedelta(days=1)))
        await staff.get_by_label("Review deadline (UTC)").fill(minute(now + timedelta(days=3)))
        await staff.get_by_role("button", name="Create the assignment").click()
        # a loaded machine (two cores shared) can take a while to answer a whole page
        await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE, timeout=60_000)
        await settled(staff)
        assignment_url = staff.url
        await staff.get_by_role("button", name="Move to: Submission").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Submission")
        await settled(staff)

        # A late-work policy (so an extension is what spares a late learner its penalty), and
        # one learner's extension, with a reason she will read.
        schedule = staff.locator("[data-schedule]")
        await schedule.get_by_text("Change the schedule and the late-work policy").click()
        await staff.get_by_label("Penalty per day late (%)").fill("10")
        await staff.get_by_role("button", name="Save the schedule").click()
        await expect(staff.locator("[data-schedule]")).to_contain_text(
            "10% per day late, at most 100%"
        )
        await settled(staff)
        await staff.locator("#ext-learner").select_option(label=EXTENDED)
        await staff.get_by_label("New due date (UTC)").fill(minute(now + timedelta(days=2)))
        await staff.get_by_label("Reason (shown to the learner)").fill(EXTENSION_REASON)
        await staff.get_by_role("button", name="Grant the extension").click()
        await expect(staff.locator("#extensions tbody tr")).to_contain_text(EXTENDED)
        await settled(staff)

        # Two learners submit on time; Amara assesses her own work (full marks).
        pages = {}
        for name, context in zip(LEARNERS, learner_contexts, strict=True):
            pages[name] = page = await launch_forum(context, server, name)
            await page.get_by_role("link", name="Peer review").click()
            await page.get_by_role("link", name=TITLE).click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
            await settled(page)
        for n, name in enumerate(ON_TIME):
            page = pages[name]
            await page.locator("#submission-body").fill(f"Essay {n}: thawed soil releases CH4.")
            await page.get_by_role("button", name="Submit").click()
            await expect(page.get_by_text("Saved.")).to_be_visible()
            await settled(page)
        amara = pages[SELF_ASSESSING]
        own = amara.locator("#self-assessment")
        await expect(own).to_contain_text("counts for 25% of your grade")
        await own.get_by_role("radio", name=re.compile(r"^Right")).check()
        await own.get_by_role("radio", name=re.compile(r"^Clear")).check()
        await own.get_by_role("button", name="Assess my work").click()
        await expect(amara.get_by_text("Your self-assessment is saved.")).to_be_visible()
        await settled(amara)
        await expect(amara.locator("[data-self-total]")).to_contain_text("6 of 6 points")

        # The deadline passes: the instructor moves it to the minute after the last on-time
        # submission (the field has minute precision: an earlier minute would make those two
        # late, since lateness is measured against the deadline as it is), once that minute
        # has come. Then the deadline job, what the worker's cron runs every minute, opens
        # reviewing; run here so the journey does not wait for the cron, which may still get
        # there first (a switch happens once).
        deadline = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        while datetime.now(UTC) < deadline + timedelta(seconds=1):
            await staff.wait_for_timeout(1000)
        await staff.get_by_role("link", name="Edit the assignment").click()
        await staff.wait_for_url(re.compile(r"/edit$"))
        await staff.wait_for_function(READY)
        await staff.get_by_label("Submission deadline (UTC)").fill(minute(deadline))
        await staff.get_by_role("button", name="Save").click()
        await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE, timeout=60_000)
        await settled(staff)
        pool = await create_pool(server.database_url, min_size=1, max_size=2)
        try:
            await jobs.peerreview_deadlines({"db": pool})
        finally:
            await pool.close()
        await open_assignment(staff, assignment_url)
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Peer review")
        await expect(staff.locator('[data-switch="review"]')).to_contain_text("Done")

        # The learner with the extension submits after the deadline, without a penalty.
        mei = pages[EXTENDED]
        await open_assignment(mei, assignment_url)
        due = mei.locator("[data-due]")
        await expect(due).to_contain_text("Your extension: submit by")
        await expect(due).to_contain_text(EXTENSION_REASON)
        await mei.locator("#submission-body").fill("Essay 2: microbes wake up, late.")
        await mei.get_by_role("button", name="Submit").click()
        await expect(mei.get_by_text("Saved.")).to_be_visible()
        await expect(mei.locator("[data-late-penalty]")).to_have_count(0)
        await settled(mei)

        # Everyone reviews both peers: right but unclear (4 of 6), one reviewer harsher.
        for name in LEARNERS:
            page = pages[name]
            for _ in range(2):
                await open_assignment(page, assignment_url)
                await page.get_by_role("button", name="Review the next submission").click()
                await expect(
                    page.get_by_role("heading", name="Review a submission")
                ).to_be_visible()
                accuracy = r"^Wrong" if name == EXTENDED else r"^Right"
                await page.get_by_role("radio", name=re.compile(accuracy)).check()
                await page.get_by_role("radio", name=re.compile(r"^Unclear")).check()
                await page.get_by_label("Overall comment for the author").fill("Name the gas.")
                await page.get_by_role("button", name="Submit my review").click()
                await expect(page.get_by_text("your review is recorded")).to_be_visible()
                await settled(page)

        # The worker computes the grades (with review quality); the instructor releases them.
        await open_assignment(staff, assignment_url)
        await staff.get_by_role("button", name="Move to: Grading").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Grading")
        await settled(staff)
        release = staff.get_by_role("button", name="Move to: Grades released")
        for _ in range(60):  # the worker computes the grades in the background
            if await release.count():
                break
            await staff.wait_for_timeout(500)
            await open_assignment(staff, assignment_url)
        await release.click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text(
            "Grades released"
        )
        await settled(staff)

        # The instructor reads everyone's review quality from the dashboard, worst first: Mei,
        # who scored everything wrong, heads the list.
        await staff.get_by_role("link", name="Review quality of every learner, worst first").click()
        await expect(staff.get_by_role("heading", level=1)).to_have_text("Review quality")
        listed = staff.locator("[data-review-quality-list] tbody tr")
        await expect(listed).to_have_count(len(LEARNERS))
        await expect(listed.nth(0)).to_contain_text(EXTENDED)
        await expect(listed.nth(0).locator("[data-score]")).to_have_text("17 / 100")
        await expect(listed.nth(1).locator("[data-score]")).to_have_text("42 / 100")
        await expect(listed.nth(0).locator("[data-agreement]")).to_contain_text(
            "2 reviews, 2.0 points off on average"
        )
        await check_accessibility(staff, "course-journey-review-quality")

        # Amara reads her grade: the steps combined, her self-assessment, her review quality.
        await open_assignment(amara, assignment_url + "/grade")
        how = amara.locator("[data-grade-explanation]")
        await expect(how).to_contain_text(
            "combines the peer grade (75%) and your self-assessment (25%)"
        )
        quality = amara.locator("[data-review-quality]")
        await expect(quality.locator("[data-review-quality-score]")).to_have_text("42 / 100")
        await expect(
            quality.get_by_text("Review quality counts for 20% of your grade.")
        ).to_be_visible()
        await expect(amara.locator("[data-grade-late-penalty]")).to_have_count(0)
        await check_accessibility(amara, "course-journey-learner-grade")

        # Mei's grade carries no late penalty: her extension covered her.
        await open_assignment(mei, assignment_url + "/grade")
        await expect(mei.locator("[data-review-quality-score]")).to_have_text("17 / 100")
        await expect(mei.locator("[data-grade-late-penalty]")).to_have_count(0)

        # The dev LMS gradebook: one row per learner with the grade Agora released, rounded.
        # Peer grades (mean of two reviews): Amara 2 (4 and 0), Lucas 2, Mei 4. Steps (3:1):
        # Amara ¾ × 2 + ¼ × 6 = 3.0, Lucas 1.5 (no self-assessment: 0 for its share), Mei 3.0.
        # Review quality (agreement only: no calibration, no ratings): Amara and Lucas each
        # match the fitted grade on one review of two (4 vs 4; 4 vs 2 is over 30% of the range
        # off), Mei on none; shrunk toward the mean 1/3 by 2 pseudo-observations: 41.7 and
        # 16.7. Final: 80% × steps + 20% × quality × 6 points.
        expected = {
            "dev-learner-1": "2.9 / 6",
            "dev-learner-2": "1.7 / 6",
            "dev-learner-3": "2.6 / 6",
        }
        lms = await staff_context.new_page()
        gradebook = lms.locator("table").filter(has_text="Line item")
        rows = gradebook.locator("tr").filter(has_text=TITLE)
        for _ in range(60):  # the worker sends the scores (AGS) in the background
            await lms.goto(server.base_url + "/dev/lms")
            if await rows.count() == len(LEARNERS):
                break
            await lms.wait_for_timeout(500)
        shown = {sub: await rows.filter(has_text=sub).locator(".score").inner_text()
                 for sub in expected}  # fmt: skip
        assert shown == expected
        assert await rows.count() == len(LEARNERS)
        await rows.first.scroll_into_view_if_needed()
        await lms.screenshot(path=screenshot_path("course-journey-gradebook"), full_page=True)

    await run_journey(browser, 1 + len(LEARNERS), journey)
