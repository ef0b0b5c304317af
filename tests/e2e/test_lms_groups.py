"""Teams from the LMS's groups, in Chromium: the instructor adds a peer-review assignment by
deep linking, turns team work on in its editor, and on its Teams page makes the dev LMS's
"Project teams" group set the teams (the groups came from the LMS's Course Groups service with
the roster sync after the launch). Any console error or failed request fails the journey."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import READY, Problems, check_accessibility, screenshot_path, watch_csp
from tests.e2e.test_instructor_journey import launch_link

INSTRUCTOR = "Inès Moreau"
TITLE = "Poster: a climate model in a team"


async def test_an_instructor_makes_the_teams_from_the_lms_group_set(server, browser):
    problems = Problems()
    context = await browser.new_context(viewport={"width": 1000, "height": 900})
    watch_csp(context)
    problems.watch(context)
    try:
        lms = await context.new_page()
        await lms.goto(server.base_url + "/dev/lms")
        row = lms.get_by_role("row").filter(has_text=INSTRUCTOR)
        await row.get_by_role("button", name="Add content (deep linking)…").click()
        await lms.wait_for_url(re.compile(r"/lti/launch"))
        await lms.wait_for_function(READY)
        await lms.get_by_label("A new peer-review assignment titled").check()
        await lms.locator("#new-title-assignment").fill(TITLE)
        await lms.get_by_role("button", name="Add to course").click()
        await lms.wait_for_url(re.compile(r"/dev/lms\?added="))

        staff = await launch_link(context, server, INSTRUCTOR, TITLE)
        await staff.get_by_role("link", name="Edit the assignment").click()
        await staff.get_by_label("Team work: each team hands in one submission").check()
        await staff.get_by_role("button", name="Save", exact=True).click()
        await expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE)
        await staff.get_by_role("link", name="Teams", exact=True).click()
        await expect(staff.get_by_role("heading", name="From the LMS's groups")).to_be_visible()

        group_set = staff.get_by_label("Group set")
        for _ in range(60):  # the worker reads the groups with the roster after the launch
            if await group_set.count():
                break
            await staff.wait_for_timeout(1000)
            await staff.reload()
            await staff.wait_for_function(READY)
        await group_set.select_option(label="Project teams · 2 groups, 4 learners")
        await staff.get_by_role("button", name="Use these groups as the teams").click()
        await expect(staff.get_by_role("status")).to_have_text("2 teams, 4 learners.")
        teams = staff.locator("table.teams tbody tr")
        await expect(teams).to_have_count(2)
        await expect(teams.nth(0)).to_contain_text("Team Moon")
        await expect(teams.nth(0)).to_contain_text("Jonas Weber, Mei Chen")
        await expect(teams.nth(1)).to_contain_text("Team Sun")
        await expect(teams.nth(1)).to_contain_text("Amara Okafor, Lucas Bernard")
        await expect(staff.get_by_text("0 learners are in no team.")).to_be_visible()
        await check_accessibility(staff, "teams-from-lms-groups")
        await staff.screenshot(path=screenshot_path("teams-from-lms-groups-top"))
    finally:
        await context.close()
    assert not problems.seen, problems.seen
