"""The instructor's way in, in a real browser from the dev LMS: add a new peer-review assignment
and a board by deep linking, see the links in the LMS, open the assignment, and a learner
launched into its link lands on it. Any console error, uncaught exception or failed request
fails the journey (the old picker's script error would have)."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import READY, check_accessibility, launch_from_dev_lms

INSTRUCTOR, LEARNER = "Inès Moreau", "Amara Okafor"


async def test_instructor_adds_an_assignment_and_a_board_by_deep_linking(server, context, problems):
    title, board = "Essay on sea ice (deep link)", "Week 5: sea ice"
    lms = await context.new_page()
    await lms.goto(server.base_url + "/dev/lms")
    row = lms.get_by_role("row").filter(has_text=INSTRUCTOR)
    await row.get_by_role("button", name="Add content (deep linking)…").click()
    await lms.wait_for_url(re.compile(r"/lti/launch"))
    await lms.wait_for_function(READY)

    # The picker: a normal Agora page listing the forum and offering a new board/assignment.
    await expect(lms.get_by_role("heading", level=1)).to_contain_text("Add Agora to")
    assert await lms.locator("meta[name=agora-course]").get_attribute("content")
    await expect(lms.get_by_label("Course forum")).to_be_visible()
    await check_accessibility(lms, "deep-linking-picker")
    await lms.get_by_label("A new peer-review assignment titled").check()
    await lms.locator("#new-title-assignment").fill(title)
    await lms.get_by_label("A new board titled").check()
    await lms.locator("#new-title-board").fill(board)
    await lms.get_by_role("button", name="Add to course").click()

    # Back in the LMS: two links added, one button per link and person.
    await lms.wait_for_url(re.compile(r"/dev/lms\?added="))
    await expect(lms.get_by_role("status")).to_have_text("2 link(s) added by deep linking.")
    row = lms.get_by_role("row").filter(has_text=INSTRUCTOR)
    await expect(row.get_by_role("button", name=title)).to_be_visible()
    await expect(row.get_by_role("button", name=board)).to_be_visible()

    # The instructor opens the new (draft) assignment from its link and opens submissions.
    staff = await launch_from_dev_lms(context, server, INSTRUCTOR, link=title)
    await expect(staff.get_by_role("heading", level=1)).to_have_text(title)
    await staff.get_by_role("button", name="Move to: Submission").click()
    await expect(staff.locator(".phase-steps [aria-current=step]")).to_have_text("Submission")

    # A learner launched into the link lands on that assignment, and the board link on the board.
    learner = await launch_from_dev_lms(context, server, LEARNER, link=title)
    await expect(learner.get_by_role("heading", level=1)).to_have_text(title)
    on_board = await launch_from_dev_lms(context, server, LEARNER, link=board)
    await expect(on_board.get_by_role("heading", level=1)).to_contain_text(board)
    assert not problems.seen, problems.seen
