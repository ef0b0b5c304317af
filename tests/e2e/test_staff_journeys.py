"""The staff's journeys in Chromium, every person launched from the dev LMS (real LTI 1.3
launches) in a browser of their own, moving only by what the pages offer:

- the TA moderates: a learner's reply is flagged by another learner, the TA hides it from the
  moderation queue with a reason, learners no longer read it (its author sees why), and the
  moderation log, filtered to that action, names the TA and the reason;
- the instructor settles a doubtful peer grade: two reviewers disagree on an essay, the essay is
  in the doubtful queue, the instructor sets its grade with a reason, it leaves the queue, the
  learner sees the grade marked as set by the instructor, asks for a regrade, and the instructor
  sees the request with the learner's name, accepts it with a new grade, and the learner reads
  the answer on their grade page.

Any console error, uncaught exception or failed request fails a journey."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import READY, Problems, check_accessibility, screenshot_path, watch_csp
from tests.e2e.test_journeys import post_patiently

TA = "Tomás Alvarez"
INSTRUCTOR = "Inès Moreau"


async def person_context(browser, problems: Problems):
    context = await browser.new_context(viewport={"width": 1000, "height": 900})
    watch_csp(context)
    problems.watch(context)
    return context


async def launch_forum(context, server, person: str):
    """A real launch from the dev LMS's "Course forum" button (login, authorize, id_token)."""
    page = await context.new_page()
    await page.goto(server.base_url + "/dev/lms")
    row = page.get_by_role("row").filter(has_text=person)
    await row.get_by_role("button", name="Course forum").click()
    await page.wait_for_url(re.compile(r"/(lti/launch|ui/)"))
    await page.wait_for_function(READY)
    return page


async def reload(page, url: str) -> None:
    """Open `url` again in the same tab (a reload: the session cookie the launch set carries it)."""
    await page.goto(url)
    await page.wait_for_function(READY)


async def run_journey(browser, people: int, journey) -> None:
    problems = Problems()
    contexts = [await person_context(browser, problems) for _ in range(people)]
    try:
        await journey(*contexts)
        # Taken before closing: closing a browser aborts the pages' live (SSE) streams.
        seen = list(problems.seen)
    finally:
        for context in contexts:
            await context.close()
    assert not seen, seen


# ---- the TA moderates ------------------------------------------------------------------------

THREAD_TITLE = "Is the water vapour feedback bigger than CO2's own effect?"
SPAM = "Cheap essays written for you, 5 euros, see essay-mill.example"
HIDE_REASON = "Advertising is not allowed in the course forum."


async def test_ta_hides_a_flagged_post_and_the_log_says_why(server, browser):
    async def journey(asker_context, spammer_context, ta_context):
        # A learner asks; another learner replies with an advertisement.
        asker = await launch_forum(asker_context, server, "Amara Okafor")
        await asker.get_by_role("link", name="New thread").click()
        await asker.get_by_label("Title").fill(THREAD_TITLE)
        await asker.locator("#thread-body").fill("Water vapour doubles the warming, I read.")
        await post_patiently(asker, "Post thread")
        await expect(asker.get_by_role("heading", level=1)).to_have_text(THREAD_TITLE)
        thread_url = asker.url

        spammer = await launch_forum(spammer_context, server, "Lucas Bernard")
        await spammer.get_by_role("link", name="All threads").click()
        await spammer.get_by_role("link", name=THREAD_TITLE).click()
        await spammer.locator("#reply-root").fill(SPAM)
        await post_patiently(spammer, "Post reply")
        await expect(spammer.get_by_text(SPAM)).to_be_visible()

        # The asker flags the reply (it reached her page live, or on a reload).
        await reload(asker, thread_url)
        reply = asker.locator("article.post", has_text=SPAM)
        await reply.locator("summary", has_text="Flag").click()
        await reply.get_by_label("Why should staff look at this post?").select_option("spam")
        await reply.get_by_label("Note (optional)").fill("An essay mill advert.")
        await reply.get_by_role("button", name="Send flag").click()
        await expect(asker.get_by_text("Thank you. Staff will look at this post.")).to_be_visible()

        # The TA finds it in the moderation queue and hides it, saying why.
        ta = await launch_forum(ta_context, server, TA)
        await ta.get_by_role("link", name="Moderation", exact=True).click()
        await expect(ta.get_by_role("heading", name="Flagged posts")).to_be_visible()
        item = ta.locator(".queue-item", has_text=SPAM)
        await expect(item).to_contain_text("Lucas Bernard")
        await expect(item).to_contain_text("1 flag")
        await expect(item).to_contain_text("Spam")
        await expect(item).to_contain_text("An essay mill advert.")
        post_id = (await item.get_attribute("id") or "").removeprefix("queue-")
        assert post_id.isdigit(), post_id
        await check_accessibility(ta, "ta-moderation-queue")
        await item.get_by_label("Reason").fill(HIDE_REASON)
        await item.get_by_role("button", name="Hide post").click()
        await expect(ta.get_by_role("status").filter(has_text="Post hidden.")).to_be_visible()
        await expect(ta.locator(".queue-item", has_text=SPAM)).to_have_count(0)

        # Learners no longer read it; its author sees that staff hid it, and why.
        await reload(asker, thread_url)
        hidden = asker.locator(f"#post-{post_id}")
        await expect(hidden).to_have_class(re.compile(r"\bis-hidden\b"))
        await expect(hidden).not_to_contain_text(SPAM)
        assert SPAM not in await asker.content()
        await asker.screenshot(
            path=str(screenshot_path("learner-sees-post-hidden")), full_page=True
        )
        await reload(spammer, thread_url)
        await expect(spammer.locator(f"#post-{post_id}")).to_contain_text(
            f"Hidden by staff: {HIDE_REASON}"
        )
        await spammer.screenshot(
            path=str(screenshot_path("learner-sees-own-post-hidden")), full_page=True
        )

        # The moderation log, filtered to this action, shows who did it and why.
        await ta.get_by_role("link", name="Moderation log").click()
        await expect(ta.get_by_role("heading", name="Moderation log")).to_be_visible()
        await ta.get_by_label("Action").select_option(label="Hid a flagged post")
        await ta.get_by_role("button", name="Filter").click()
        await expect(ta.get_by_label("Action")).to_have_value("flags_hidden")
        rows = ta.locator("table.modlog tbody tr")
        await expect(rows).to_have_count(1)
        entry = rows.first
        await expect(entry).to_have_attribute("data-action", "flags_hidden")
        await expect(entry).to_contain_text(TA)
        await expect(entry).to_contain_text("Hid a flagged post")
        await expect(entry).to_contain_text(f"post #{post_id}")
        await expect(entry).to_contain_text("Lucas Bernard")
        await expect(entry).to_contain_text(HIDE_REASON)
        await check_accessibility(ta, "ta-moderation-log")

    await run_journey(browser, 3, journey)


# ---- the instructor settles a doubtful grade -------------------------------------------------

TITLE = "Essay: the permafrost carbon feedback"
LEARNERS = ["Amara Okafor", "Lucas Bernard", "Mei Chen"]
OVERRIDE_REASON = "The cited source is right there; review 2 missed it."
REGRADE_REASON = "Could you also look at my second paragraph?"
REGRADE_ANSWER = "Right, the second paragraph answers the question."


async def test_instructor_overrides_a_doubtful_grade_and_answers_the_regrade_request(
    server, browser
):
    async def journey(staff_context, *learner_contexts):
        # The instructor creates the assignment: every learner reviews both others.
        staff = await launch_forum(staff_context, server, INSTRUCTOR)
        await staff.get_by_role("link", name="Peer review").click()
        await staff.get_by_role("link", name="New assignment").click()
        await staff.get_by_label("Title").fill(TITLE)
        await staff.locator("#prompt").fill("Explain the permafrost carbon feedback.")
        await staff.locator("#crit-0-name").fill("Accuracy")
        await staff.locator("#crit-0-options").fill("Wrong = 0\nRight = 4")
        await staff.get_by_role("button", name="Add a criterion").click()
        await staff.locator("#crit-1-name").fill("Clarity")
        await staff.locator("#crit-1-options").fill("Unclear = 0\nClear = 2")
        await staff.get_by_label("Reviews per submission").fill("2")
        await staff.get_by_label("Reviews each learner does").fill("2")
        await staff.get_by_label("Allocation").select_option("dynamic")
        await staff.get_by_label("Grading method").select_option("mean")
        await staff.get_by_role("button", name="Create the assignment").click()
        await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE)
        assignment_url = staff.url
        await staff.get_by_role("button", name="Move to: Submission").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Submission")

        # Learners launched from the LMS find it under "Peer review" and submit.
        learners = []
        for n, (name, context) in enumerate(zip(LEARNERS, learner_contexts, strict=True)):
            page = await launch_forum(context, server, name)
            await page.get_by_role("link", name="Peer review").click()
            await page.get_by_role("link", name=TITLE).click()
            await page.locator("#submission-body").fill(f"Essay {n}: thawing soil releases CO2.")
            await page.get_by_role("button", name="Submit").click()
            await expect(page.get_by_text("Saved.")).to_be_visible()
            learners.append(page)

        # Reviews: Lucas scores Amara's essay at nothing, everyone else gives full marks, so
        # the two reviews of Amara's essay disagree completely.
        await staff.get_by_role("button", name="Move to: Peer review").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Peer review")
        for n, page in enumerate(learners):
            for _ in range(2):
                await reload(page, assignment_url)
                await page.get_by_role("button", name="Review the next submission").click()
                await expect(
                    page.get_by_role("heading", name="Review a submission")
                ).to_be_visible()
                harsh = n == 1 and await page.get_by_text("Essay 0:").count() > 0
                await page.get_by_role(
                    "radio", name=re.compile(r"^Wrong" if harsh else r"^Right")
                ).check()
                await page.get_by_role(
                    "radio", name=re.compile(r"^Unclear" if harsh else r"^Clear")
                ).check()
                comment = "Nothing supports this." if harsh else "Clear and right."
                await page.get_by_label("Overall comment for the author").fill(comment)
                await page.get_by_role("button", name="Submit my review").click()
                await expect(page.get_by_text("your review is recorded")).to_be_visible()

        # Grading by the worker; the dashboard points to the doubtful grades.
        await staff.get_by_role("button", name="Move to: Grading").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Grading")
        to_queue = staff.get_by_role("link", name="Review the doubtful grades")
        for _ in range(60):  # the worker computes the grades in the background
            if await to_queue.count():
                break
            await staff.wait_for_timeout(500)
            await reload(staff, assignment_url)
        await to_queue.click()
        await expect(staff.get_by_role("heading", name="Doubtful grades")).to_be_visible()
        doubtful_url = staff.url
        # Each doubtful grade is a card headed by its author's name (reviewers are named too).
        amara = staff.locator("section.card").filter(has=staff.locator("h2", has_text=LEARNERS[0]))
        await expect(amara).to_have_count(1)
        await expect(amara.locator(".review")).to_have_count(2)
        await expect(amara).to_contain_text("Nothing supports this.")
        await expect(amara).to_contain_text("Clear and right.")
        await check_accessibility(staff, "instructor-doubtful-queue")

        # The instructor sets the grade with a reason: it leaves the queue.
        await amara.get_by_label("Grade").fill("4.5")
        await amara.get_by_label("Reason").fill(OVERRIDE_REASON)
        await amara.get_by_role("button", name="Set the grade").click()
        await expect(amara.get_by_role("status")).to_have_text("Grade set to 4.5.")
        await reload(staff, doubtful_url)
        await expect(staff.get_by_role("heading", name="Doubtful grades")).to_be_visible()
        await expect(staff.locator("section.card h2")).not_to_have_count(0)  # others stay
        await expect(staff.locator("section.card h2", has_text=LEARNERS[0])).to_have_count(0)

        await staff.get_by_role("link", name=TITLE).click()
        await staff.get_by_role("button", name="Move to: Grades released").click()
        await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text(
            "Grades released"
        )

        # Amara sees the instructor's grade, marked as theirs, and asks for a regrade.
        learner = learners[0]
        await reload(learner, assignment_url)
        await learner.get_by_role(
            "link", name="See your grade and the reviews you received"
        ).click()
        await expect(learner.get_by_role("heading", name="Your grade", exact=True)).to_be_visible()
        await expect(learner.locator(".progress .stat").first).to_contain_text("4.5 / 6")
        notice = learner.locator("[data-overridden]")
        await expect(notice).to_contain_text("Your instructor set this grade.")
        await expect(notice).to_contain_text(OVERRIDE_REASON)
        # The peers' uncertainty (± 2.5 here) does not belong to a grade the instructor set.
        # (the grade's figures come first; the review-quality figures follow in their own box)
        await expect(learner.locator(".progress").first).not_to_contain_text("Uncertainty")
        assert "Lucas Bernard" not in await learner.content()  # reviewers stay anonymous
        await check_accessibility(learner, "learner-overridden-grade")
        await learner.get_by_label("Why should the instructor look again?").fill(REGRADE_REASON)
        await learner.get_by_role("button", name="Send the request").click()
        await expect(
            learner.get_by_text("Your request was sent to the instructor.")
        ).to_be_visible()

        # The instructor sees the request, with the learner's name.
        await reload(staff, doubtful_url)
        await expect(staff.get_by_role("heading", name="Regrade requests")).to_be_visible()
        request = staff.locator("li", has_text=REGRADE_REASON)
        await expect(request).to_contain_text("Amara Okafor")
        await staff.screenshot(
            path=str(screenshot_path("instructor-regrade-requests")), full_page=True
        )
        await check_accessibility(staff, "instructor-regrade-answer-forms")

        # The instructor accepts it with a new grade; Amara reads the answer on her grade page.
        await request.get_by_label("New grade").fill("5")
        await request.get_by_label("Answer", exact=True).fill(REGRADE_ANSWER)
        await request.get_by_role("button", name="Accept").click()
        answered = request.get_by_role("status")
        await expect(answered).to_contain_text("Accepted")
        await expect(answered).to_contain_text("Grade set to 5.0.")
        await reload(staff, doubtful_url)
        await expect(staff.locator("li", has_text=REGRADE_REASON)).to_have_count(0)

        await reload(learner, learner.url)
        await expect(learner.locator(".progress .stat").first).to_contain_text("5.0 / 6")
        answer = learner.locator("[data-regrade-answer]")
        await expect(answer.locator("[data-regrade-state]")).to_have_text("Accepted")
        await expect(answer).to_contain_text(f"Staff answer: {REGRADE_ANSWER}")
        await check_accessibility(learner, "learner-regrade-answer")

    await run_journey(browser, 1 + len(LEARNERS), journey)
