"""The instructor's whole way, in Chromium, from the dev LMS to its gradebook: a new peer-review
assignment added by deep linking, its rubric built and a calibration example scored, learners
launched into the link submit, calibrate and review, the worker grades, grades are released and
appear in the LMS gradebook rounded as a gradebook shows them. Every person has a browser of
their own; any console error, uncaught exception or failed request fails the journey."""

from __future__ import annotations

import re

import asyncpg
from playwright.async_api import expect

from tests.e2e.conftest import READY, Problems, check_accessibility, watch_csp

INSTRUCTOR = "Inès Moreau"
LEARNERS = ["Amara Okafor", "Lucas Bernard", "Mei Chen"]
TITLE = "Essay: the albedo feedback (deep-linked)"


async def person_context(browser, problems: Problems):
    context = await browser.new_context(viewport={"width": 1000, "height": 900})
    watch_csp(context)
    problems.watch(context)
    return context


async def launch_link(context, server, person: str, link: str):
    """A real launch from the dev LMS's button for `link` (login, authorize, signed id_token)."""
    page = await context.new_page()
    await page.goto(server.base_url + "/dev/lms")
    row = page.get_by_role("row").filter(has_text=person)
    await row.get_by_role("button", name=link).click()
    await page.wait_for_url(re.compile(r"/(lti/launch|ui/)"))
    await page.wait_for_function(READY)
    return page


async def test_instructor_from_deep_link_to_rounded_grades_in_the_lms_gradebook(server, browser):
    problems = Problems()
    instructor = await person_context(browser, problems)
    learner_contexts = [await person_context(browser, problems) for _ in LEARNERS]
    try:
        await _journey(server, instructor, learner_contexts)
    finally:
        for context in [instructor, *learner_contexts]:
            await context.close()
    assert not problems.seen, problems.seen


async def _journey(server, instructor, learner_contexts) -> None:
    # 1. Deep linking: a new peer-review assignment, with the line item the LMS will grade.
    lms = await instructor.new_page()
    await lms.goto(server.base_url + "/dev/lms")
    row = lms.get_by_role("row").filter(has_text=INSTRUCTOR)
    await row.get_by_role("button", name="Add content (deep linking)…").click()
    await lms.wait_for_url(re.compile(r"/lti/launch"))
    await lms.wait_for_function(READY)
    await lms.get_by_label("A new peer-review assignment titled").check()
    await lms.locator("#new-title-assignment").fill(TITLE)
    await lms.get_by_role("button", name="Add to course").click()
    await lms.wait_for_url(re.compile(r"/dev/lms\?added="))
    await expect(lms.get_by_role("status")).to_have_text("1 link(s) added by deep linking.")

    # 2. The instructor opens it from its link and builds the rubric.
    staff = await launch_link(instructor, server, INSTRUCTOR, TITLE)
    await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE)
    await staff.get_by_role("link", name="Edit the assignment").click()
    await staff.locator("#prompt").fill("Explain the ice-albedo **feedback loop** in a paragraph.")
    await staff.locator("#crit-0-name").fill("Accuracy")
    await staff.locator("#crit-0-options").fill("Wrong = 0\nPartly right = 2\nRight = 4")
    if not await staff.locator("#crit-1-name").count():
        await staff.get_by_role("button", name="Add a criterion").click()
    await staff.locator("#crit-1-name").fill("Clarity")
    await staff.locator("#crit-1-options").fill("Unclear = 0\nClear = 2")
    # Three learners, each reviewing both others: every essay gets two reviews.
    await staff.get_by_label("Reviews per submission").fill("2")
    await staff.get_by_label("Reviews each learner does").fill("2")
    await staff.get_by_label("Calibration examples to score first").fill("1")
    await staff.get_by_label("Allocation").select_option("dynamic")
    await staff.get_by_label("Grading method").select_option("calibrated")
    await check_accessibility(staff, "instructor-rubric-editor")
    await staff.get_by_role("button", name="Save", exact=True).click()
    await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE)

    # 3. A calibration example, scored by the instructor (the reference learners compare to).
    await staff.get_by_text("Add an example").click()
    await staff.locator("#example-body").fill("Ice melts, darker water absorbs more heat.")
    examples = staff.locator("form[hx-post$='/examples']")
    await examples.get_by_role("radio", name=re.compile(r"^Partly right")).check()
    await examples.get_by_role("radio", name=re.compile(r"^Clear")).check()
    await staff.locator("#ex-explanation").fill("Right idea, but the loop is not closed.")
    await staff.get_by_role("button", name="Add the example").click()
    await expect(staff.get_by_text("Example 1")).to_be_visible()
    await staff.get_by_role("button", name="Move to: Submission").click()
    await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Submission")

    # 4. Learners launched into the link from the LMS submit.
    learners = []
    for n, (name, context) in enumerate(zip(LEARNERS, learner_contexts, strict=True)):
        page = await launch_link(context, server, name, TITLE)
        await expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        await page.locator("#submission-body").fill(f"Essay {n}: less ice, less reflection.")
        await page.get_by_role("button", name="Submit").click()
        await expect(page.get_by_text("Saved.")).to_be_visible()
        learners.append(page)

    # 5. Review phase: each learner scores the calibration example, then both peers.
    await staff.get_by_role("button", name="Move to: Peer review").click()
    await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Peer review")
    generous = "You were more generous than the instructor."
    for n, (name, context) in enumerate(zip(LEARNERS, learner_contexts, strict=True)):
        page = await launch_link(context, server, name, TITLE)
        await page.get_by_role("radio", name=re.compile(r"^Right")).check()
        await page.get_by_role("radio", name=re.compile(r"^Clear")).check()
        await page.get_by_role("button", name="Check my scoring").click()
        await expect(page.get_by_text(generous)).to_be_visible()
        for review in range(2):
            if review:
                page = await launch_link(context, server, name, TITLE)
            await page.get_by_role("button", name="Review the next submission").click()
            await expect(page.get_by_role("heading", name="Review a submission")).to_be_visible()
            if n == review == 0:
                await check_accessibility(page, "learner-review-after-calibration")
            accuracy = r"^Partly" if (n + review) % 2 else r"^Right"
            await page.get_by_role("radio", name=re.compile(accuracy)).check()
            await page.get_by_role("radio", name=re.compile(r"^Clear")).check()
            await page.get_by_label("Overall comment for the author").fill("Clear reasoning.")
            await page.get_by_role("button", name="Submit my review").click()
            await expect(page.get_by_text("your review is recorded")).to_be_visible()

    # 6. Grading by the worker, then release.
    await staff.get_by_role("button", name="Move to: Grading").click()
    await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Grading")
    staff_url = staff.url
    grades = staff.get_by_role("heading", name="Grades", exact=True)
    for _ in range(60):  # the worker fits the calibrated model
        if await grades.count():
            break
        await staff.wait_for_timeout(500)
        await staff.goto(staff_url)  # the cookie the launch set carries the reload
        await staff.wait_for_function(READY)
    await expect(grades).to_be_visible()
    await staff.get_by_role("button", name="Move to: Grades released").click()
    await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Grades released")
    await check_accessibility(staff, "instructor-dashboard-released")

    # 7. The dev LMS gradebook: one row per learner, rounded as a gradebook shows scores.
    expected = await _released_scores(server)
    assert len(expected) == len(LEARNERS), expected
    gradebook = lms.locator("table").filter(has_text="Line item")
    for _ in range(60):  # the worker sends the scores (AGS) in the background
        await lms.goto(server.base_url + "/dev/lms")
        if await gradebook.locator("tr").filter(has_text=TITLE).count() == len(LEARNERS):
            break
        await lms.wait_for_timeout(500)
    for sub, score in expected.items():
        cell = gradebook.locator("tr").filter(has_text=TITLE).filter(has_text=sub).locator(".score")
        shown = await cell.inner_text()
        assert re.fullmatch(r"\d+(\.\d{1,2})? / 6", shown), shown
        assert float(shown.split(" / ")[0]) == round(score, 2), (sub, shown, score)
    await check_accessibility(lms, "dev-lms-gradebook")


async def _released_scores(server) -> dict[str, float]:
    """The learners' final scores in Agora (before rounding), by LMS user id."""
    connection = await asyncpg.connect(server.database_url)
    try:
        rows = await connection.fetch(
            """SELECT u.sub, g.final_score AS score
                 FROM pr_grades g JOIN pr_assignments a
                   ON a.course_id = g.course_id AND a.id = g.assignment_id
                 JOIN pr_submissions s ON s.course_id = g.course_id AND s.id = g.submission_id
                 JOIN users u ON u.id = s.author_id
                WHERE a.title = $1""",
            TITLE,
        )
    finally:
        await connection.close()
    return {r["sub"]: float(r["score"]) for r in rows}
