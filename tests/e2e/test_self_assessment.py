"""Self-assessment in Chromium, every person launched from the dev LMS: the instructor builds an
assignment with a peer-review and a self-assessment step (weights 3 and 1), a criterion that
counts twice and a comment-only one; the learners submit, one assesses her own work on the
rubric, everyone reviews two peers, and once grades are released she reads her grade with the
explanation of how the steps combine, her self-assessment beside the peer scores, and her
reviewers' feedback per criterion. Any console error or failed request fails the journey."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import check_accessibility
from tests.e2e.test_staff_journeys import INSTRUCTOR, launch_forum, reload, run_journey

TITLE = "Essay: the ocean's carbon sink"


async def settled(page) -> None:
    """Wait for the fragments a page loads after itself (htmx `load` triggers): leaving before
    they answer would abort them, which the journey counts as a failed request."""
    await page.wait_for_function("() => !document.querySelector('[hx-trigger=load]')")


async def open_assignment(page, url: str) -> None:
    await reload(page, url)
    await settled(page)


LEARNERS = ["Amara Okafor", "Lucas Bernard", "Mei Chen"]


async def test_learner_self_assesses_and_reads_the_combined_grade(server, browser):
    async def journey(staff_context, *learner_contexts):
        staff = await launch_forum(staff_context, server, INSTRUCTOR)
        await staff.get_by_role("link", name="Peer review").click()
        await staff.get_by_role("link", name="New assignment").click()
        await staff.get_by_label("Title").fill(TITLE)
        await staff.locator("#prompt").fill("How much CO2 does the ocean take up, and why?")
        await staff.locator("#crit-0-name").fill("Accuracy")
        await staff.locator("#crit-0-options").fill("Wrong = 0\nRight = 4")
        await staff.locator("#crit-0-weight").fill("2")
        await staff.get_by_role("button", name="Add a criterion").click()
        await staff.locator("#crit-1-name").fill("Clarity")
        await staff.locator("#crit-1-options").fill("Unclear = 0\nClear = 2")
        await staff.get_by_role("button", name="Add a criterion").click()
        await staff.locator("#crit-2-name").fill("Tone")
        await staff.locator("#crit-2-comment-only").check()
        await staff.get_by_label("Reviews per submission").fill("2")
        await staff.get_by_label("Reviews each learner does").fill("2")
        await staff.get_by_label("Allocation").select_option("dynamic")
        await staff.get_by_label("Grading method").select_option("mean")
        await staff.get_by_label("Self-assessment", exact=True).check()
        await staff.get_by_label("Weight of the peer grade").fill("3")
        await staff.get_by_label("Weight of the self-assessment").fill("1")
        await staff.get_by_role("button", name="Create the assignment").click()
        await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE)
        await settled(staff)
        assignment_url = staff.url
        await staff.get_by_role("button", name="Move to: Submission").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Submission")
        await settled(staff)

        learners = []
        for n, (name, context) in enumerate(zip(LEARNERS, learner_contexts, strict=True)):
            page = await launch_forum(context, server, name)
            await page.get_by_role("link", name="Peer review").click()
            await page.get_by_role("link", name=TITLE).click()
            await settled(page)
            await page.locator("#submission-body").fill(f"Essay {n}: cold water holds more CO2.")
            await page.get_by_role("button", name="Submit").click()
            await expect(page.get_by_text("Saved.")).to_be_visible()
            await settled(page)
            learners.append(page)

        # Amara assesses her own work: full marks on both scored criteria, a word on tone.
        amara = learners[0]
        own = amara.locator("#self-assessment")
        await expect(own).to_contain_text("counts for 25% of your grade")
        await own.get_by_role("radio", name=re.compile(r"^Right")).check()
        await own.get_by_role("radio", name=re.compile(r"^Clear")).check()
        await own.get_by_label("Comment on this criterion").fill("Calm and factual, I think.")
        await own.get_by_role("button", name="Assess my work").click()
        await expect(amara.get_by_text("Your self-assessment is saved.")).to_be_visible()
        await settled(amara)
        await expect(amara.locator("[data-self-total]")).to_contain_text("10 of 10 points")
        await check_accessibility(amara, "learner-self-assessment")

        # Everyone reviews two peers: right but unclear (8 of 10), with a word on tone.
        await staff.get_by_role("button", name="Move to: Peer review").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Peer review")
        await settled(staff)
        for page in learners:
            for _ in range(2):
                await open_assignment(page, assignment_url)
                await page.get_by_role("button", name="Review the next submission").click()
                await expect(
                    page.get_by_role("heading", name="Review a submission")
                ).to_be_visible()
                await page.get_by_role("radio", name=re.compile(r"^Right")).check()
                await page.get_by_role("radio", name=re.compile(r"^Unclear")).check()
                await page.locator("[data-comment-only] textarea").fill("A friendly tone.")
                await page.get_by_label("Overall comment for the author").fill("Good facts.")
                await page.get_by_role("button", name="Submit my review").click()
                await expect(page.get_by_text("your review is recorded")).to_be_visible()
                await settled(page)

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

        # Amara's grade: ¾ × 8 (peers) + ¼ × 10 (herself) = 8.5, and the page says so.
        await open_assignment(amara, assignment_url)
        await amara.get_by_role("link", name="See your grade and the reviews you received").click()
        await expect(amara.get_by_role("heading", name="Your grade", exact=True)).to_be_visible()
        await expect(amara.locator(".progress .stat").first).to_contain_text("8.5 / 10")
        how = amara.locator("[data-grade-explanation]")
        await expect(how).to_contain_text(
            "combines the peer grade (75%) and your self-assessment (25%)"
        )
        await expect(how).to_contain_text("75% × 8.0 + 25% × 10.0 = 8.5")
        table = amara.locator("table[data-criteria]")
        await expect(table.locator("tbody tr").nth(0)).to_contain_text("8.0")
        await expect(table.locator("tbody tr").nth(0).locator("[data-self]")).to_have_text("8")
        await expect(table.locator("tbody tr").nth(2)).to_contain_text("comment only")
        await expect(amara.locator("[data-criterion-feedback]").first).to_contain_text(
            "A friendly tone."
        )
        await expect(amara.locator("[data-self-comments]")).to_contain_text("Calm and factual")
        await check_accessibility(amara, "learner-combined-grade")

        # Lucas did not assess his own work: his share counts 0, and the page says so.
        lucas = learners[1]
        await reload(lucas, assignment_url + "/grade")
        await expect(lucas.locator(".progress .stat").first).to_contain_text("6.0 / 10")
        await expect(lucas.locator("[data-no-self]")).to_be_visible()

    await run_journey(browser, 1 + len(LEARNERS), journey)
