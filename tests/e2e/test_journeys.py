"""Journeys in a real browser: ask → answer → endorse → seen answered live; anonymous posting;
peer review from assignment creation to released grade. Each also with third-party cookies
blocked (the session only ever travels as a Bearer header from the page)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import expect

from tests.e2e.conftest import (
    check_accessibility,
    demo_session,
    launch,
    launch_from_dev_lms,
    watch_csp,
)

LIVE_TIMEOUT = 20_000


async def post_patiently(page, button: str) -> None:
    """Click a post button; if the forum's rate limit says to slow down (one person posting
    in quick succession across journeys), wait as a person would and post again."""
    limited = page.locator("#flash [data-status='429']")
    for _ in range(3):
        await page.get_by_role("button", name=button).click()
        await page.wait_for_load_state()
        try:
            # The answer may be slow on a loaded machine: give a 429 time to show before
            # taking its absence as success.
            await limited.wait_for(state="visible", timeout=2_000)
        except PlaywrightTimeout:
            return
        await page.wait_for_timeout(6_000)


@pytest.fixture(params=["cookies-allowed", "third-party-cookies-blocked"])
async def browsing(request, browser, cookieless_browser):
    """A factory of fresh browser contexts: one per person in a journey."""
    contexts = []

    async def new_context():
        if request.param == "cookies-allowed":
            ctx = await browser.new_context(viewport={"width": 1000, "height": 900})
            watch_csp(ctx)
            contexts.append(ctx)
            return ctx
        return cookieless_browser

    yield new_context, request.param
    for ctx in contexts:
        await ctx.close()
    # The shared cookie-blocking profile stays open: close this journey's pages, whose live
    # (SSE) streams would otherwise use up the browser's six connections to the server.
    for page in list(cookieless_browser.pages):
        await page.close()


async def test_question_answered_endorsed_and_seen_live(server, browsing):
    new_context, mode = browsing
    tag = "blocked" if "blocked" in mode else "allowed"
    # Different people per variant: the forum's rate limit spaces one person's posts.
    first, second = (
        ("dev-learner-2", "dev-learner-1")
        if tag == "blocked"
        else ("dev-learner-1", "dev-learner-2")
    )
    token1, course_id = await demo_session(server, first)
    token2, _ = await demo_session(server, second)
    token_i, _ = await demo_session(server, "dev-instructor")
    forum = f"/ui/courses/{course_id}/forum"
    title = f"Why does CO2 absorb infrared ({tag})?"

    people = {"dev-learner-1": "Amara Okafor", "dev-learner-2": "Lucas Bernard"}
    asker = await launch_from_dev_lms(await new_context(), server, people[first])
    await expect(asker.get_by_role("heading", name="Forum", exact=True)).to_be_visible()
    del token1  # the asker's session comes from the LTI launch
    await asker.get_by_role("link", name="New thread").click()
    await asker.get_by_label("Title").fill(title)
    await asker.get_by_label("Question", exact=True).check()
    await asker.locator("#thread-body").fill("Is it the **bending mode** at $15\\,\\mu m$?")
    await post_patiently(asker, "Post thread")
    await expect(asker.get_by_role("heading", level=1)).to_have_text(title)
    assert re.search(r"/forum/threads/\d+$", asker.url), "the thread's own address is pushed"
    await expect(asker.locator(".thread-head .badge-warn")).to_have_text("Unanswered")
    await expect(asker.locator(".katex").first).to_be_visible()
    thread_path = asker.url.split(server.base_url)[1]

    answerer = await launch(await new_context(), server, token2, forum)
    await answerer.get_by_role("link", name="All threads").click()
    await answerer.get_by_role("link", name=title).click()
    await answerer.locator("#reply-root").fill("Yes: the 15 µm bending mode.")
    await post_patiently(answerer, "Post reply")
    await expect(answerer.get_by_text("Yes: the 15 µm bending mode.")).to_be_visible()

    instructor = await launch(await new_context(), server, token_i, thread_path)
    # Posts in the tree (an endorsed answer is also copied into the answers shown first).
    reply = instructor.locator("article.post:not(.answer-copy)", has_text="bending mode.")
    await reply.get_by_role("button", name="Endorse").click()
    await expect(reply.get_by_text("Endorsed by staff")).to_be_visible()

    # The asker never reloaded: the answer and the endorsement arrive live.
    in_tree = asker.locator("article.post:not(.answer-copy)")
    await expect(in_tree.filter(has_text="Yes: the 15 µm bending mode.")).to_be_visible(
        timeout=LIVE_TIMEOUT
    )
    await expect(asker.locator(".thread-head .badge-ok")).to_have_text(
        "Answered", timeout=LIVE_TIMEOUT
    )
    await expect(in_tree.get_by_text("Endorsed by staff")).to_be_visible(timeout=LIVE_TIMEOUT)
    await expect(asker.locator(".answers-first")).to_contain_text("the 15 µm bending mode")
    if "blocked" not in mode:
        await check_accessibility(asker, "thread-answered")


async def test_anonymous_post_is_anonymous_to_peers_and_named_to_staff(server, browsing):
    new_context, mode = browsing
    tag = "blocked" if "blocked" in mode else "allowed"
    first, second = (
        ("dev-learner-4", "dev-learner-3")
        if tag == "blocked"
        else ("dev-learner-3", "dev-learner-4")
    )
    names = {"dev-learner-3": "Mei Chen", "dev-learner-4": "Jonas Weber"}
    token1, course_id = await demo_session(server, first)
    token2, _ = await demo_session(server, second)
    token_i, _ = await demo_session(server, "dev-instructor")
    title = f"A question I am shy about ({tag})"

    author = await launch_from_dev_lms(await new_context(), server, names[first])
    await author.get_by_role("link", name="New thread").click()
    del token1, course_id  # the author's session comes from the LTI launch
    await author.get_by_label("Title").fill(title)
    await author.locator("#thread-body").fill("Is the greenhouse effect like a greenhouse?")
    await author.get_by_label("Show my name").select_option("peers")
    await post_patiently(author, "Post thread")
    await expect(author.get_by_role("heading", level=1)).to_have_text(title)
    thread_path = author.url.split(server.base_url)[1]

    peer = await launch(await new_context(), server, token2, thread_path)
    head = peer.locator(".thread-head")
    await expect(head).to_contain_text("Anonymous")
    assert names[first] not in await peer.content()

    staff = await launch(await new_context(), server, token_i, thread_path)
    await expect(staff.locator(".thread-head")).to_contain_text(names[first])
    await expect(staff.locator(".thread-head")).to_contain_text("anonymous to peers")


async def test_peer_review_from_assignment_creation_to_released_grade(server, browsing):
    new_context, mode = browsing
    tag = "blocked" if "blocked" in mode else "allowed"
    shots = "blocked" not in mode
    token_i, course_id = await demo_session(server, "dev-instructor")
    learners = ["dev-learner-1", "dev-learner-2", "dev-learner-3"]
    tokens = [(await demo_session(server, sub))[0] for sub in learners]
    title = f"Essay: feedback loops ({tag})"

    listing = f"/ui/courses/{course_id}/assignments"
    staff = await launch(await new_context(), server, token_i, listing)
    await staff.get_by_role("link", name="New assignment").click()
    if shots:
        await check_accessibility(staff, "assignment-editor")
    await staff.get_by_label("Title").fill(title)
    await staff.locator("#prompt").fill("Describe one climate **feedback loop**.")
    await staff.locator("#crit-0-name").fill("Accuracy")
    await staff.locator("#crit-0-options").fill("Wrong = 0\nRight = 4")
    await staff.get_by_role("button", name="Add a criterion").click()
    await staff.locator("#crit-1-name").fill("Clarity")
    await staff.locator("#crit-1-options").fill("Unclear = 0\nClear = 2")
    await staff.get_by_label("Reviews per submission").fill("1")
    await staff.get_by_label("Reviews each learner does").fill("1")
    await staff.get_by_label("Allocation").select_option("dynamic")
    await staff.get_by_label("Grading method").select_option("mean")
    await staff.get_by_role("button", name="Create the assignment").click()
    await expect(staff.get_by_role("heading", level=1)).to_have_text(title)
    assignment_path = staff.url.split(server.base_url)[1]
    await staff.get_by_role("button", name="Move to: Submission").click()
    await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Submission")

    pages = []
    for n, token in enumerate(tokens):
        learner = await launch(await new_context(), server, token, assignment_path)
        await learner.locator("#submission-body").fill(f"Essay {n}: ice-albedo feedback.")
        await learner.get_by_role("button", name="Submit").click()
        await expect(learner.get_by_text("Saved.")).to_be_visible()
        pages.append(learner)

    await staff.get_by_role("button", name="Move to: Peer review").click()
    await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Peer review")
    for n, learner in enumerate(pages):
        learner = await launch(learner.context, server, tokens[n], assignment_path)
        await learner.get_by_role("button", name="Review the next submission").click()
        await expect(learner.get_by_role("heading", name="Review a submission")).to_be_visible()
        if shots and n == 0:
            await check_accessibility(learner, "review")
        await learner.get_by_role("radio", name=re.compile(r"^Right")).check()
        await learner.get_by_role("radio", name=re.compile(r"^Clear")).check()
        await learner.get_by_label("Overall comment for the author").fill("Clear and right.")
        await learner.get_by_role("button", name="Submit my review").click()
        await expect(learner.get_by_text("your review is recorded")).to_be_visible()

    await staff.get_by_role("button", name="Move to: Grading").click()
    for _ in range(40):  # the worker computes the grades
        staff = await launch(staff.context, server, token_i, assignment_path)
        if await staff.locator("table").filter(has_text="mean").count():
            break
        await staff.wait_for_timeout(500)
    await expect(staff.get_by_role("heading", name="Grades")).to_be_visible()
    if shots:
        await check_accessibility(staff, "assignment-dashboard")
    await staff.get_by_role("button", name="Move to: Grades released").click()
    await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Grades released")

    learner = await launch(pages[0].context, server, tokens[0], assignment_path)
    await learner.get_by_role("link", name="See your grade and the reviews you received").click()
    await expect(learner.get_by_role("heading", name="Your grade", exact=True)).to_be_visible()
    await expect(learner.locator(".progress .stat").first).to_contain_text("6.0 / 6")
    await expect(learner.get_by_text("Clear and right.").first).to_be_visible()
    if shots:
        await check_accessibility(learner, "grade")
