"""The instructor's course settings in a real browser, from a real dev-LMS launch: a forum
setting changed on its page takes effect for a learner, the change shows in the moderation log,
boards are managed on their page, and the peer-review dashboard names the learners."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.e2e.conftest import check_accessibility, demo_session, launch_from_dev_lms

INSTRUCTOR, LEARNER = "Inès Moreau", "Amara Okafor"
WAITING = ("Lucas Bernard", "Mei Chen")  # the demo's two essays waiting for reviews


async def test_instructor_configures_the_forum_and_sees_learner_names(server, context, problems):
    token, course_id = await demo_session(server, "dev-instructor")
    try:
        staff = await launch_from_dev_lms(context, server, INSTRUCTOR)
        await staff.get_by_role("link", name="Forum settings").click()
        await expect(staff.get_by_role("heading", name="Forum settings")).to_be_visible()
        await check_accessibility(staff, "forum-settings")
        await staff.get_by_label("Learners may create boards").check()
        await staff.get_by_role("button", name="Save the settings").click()
        await expect(staff.get_by_text("Settings saved.")).to_be_visible()
        await expect(staff.get_by_label("Learners may create boards")).to_be_checked()

        # The setting takes effect: the learner now has a way to create a board, and does.
        learner = await launch_from_dev_lms(context, server, LEARNER)
        await learner.get_by_role("link", name="New board").click()
        await learner.get_by_label("Name").fill("Study group (browser test)")
        await learner.get_by_role("button", name="Create the board").click()
        await expect(learner.get_by_text("Done.")).to_be_visible()
        await expect(learner.get_by_role("link", name="Study group (browser test)")).to_be_visible()

        # Boards page and the moderation log, which shows the change and the new board.
        await staff.get_by_role("link", name="Boards", exact=True).click()
        await expect(staff.get_by_role("link", name="Study group (browser test)")).to_be_visible()
        await check_accessibility(staff, "forum-boards")
        await staff.get_by_role("link", name="Moderation log").click()
        await expect(staff.get_by_text("learners_create_boards: False → True")).to_be_visible()
        await staff.get_by_label("Action").select_option("board_create")
        await staff.get_by_role("button", name="Filter").click()
        created = staff.get_by_role("row").filter(has_text="Study group (browser test)")
        await expect(created.get_by_role("cell", name="Created a board")).to_be_visible()
        await expect(staff.get_by_text("learners_create_boards")).to_have_count(0)
        await check_accessibility(staff, "moderation-log")

        # Peer review: the dashboard names the learners whose essays wait for reviews.
        await staff.get_by_role("link", name="Peer review").click()
        await staff.get_by_role("link", name="Essay: one climate feedback loop").click()
        waiting = staff.locator(
            "section", has=staff.get_by_role("heading", name="Learners waiting")
        )
        for name in WAITING:
            await expect(waiting.get_by_text(name)).to_be_visible()
        await check_accessibility(staff, "dashboard-with-names")
        await staff.get_by_role("link", name="All learners waiting, searchable by name").click()
        await staff.get_by_label("Name or email starts with").fill("mei")
        await staff.get_by_role("button", name="Search").click()
        await expect(staff.get_by_role("cell", name="Mei Chen")).to_be_visible()
        await expect(staff.get_by_text("Lucas Bernard")).to_have_count(0)
        await check_accessibility(staff, "waiting-search")
        assert not problems.seen, problems.seen
    finally:
        # The demo course is shared by every browser test: put its forum back as it was.
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            restored = await client.patch(
                f"/api/v1/courses/{course_id}/forum/settings",
                json={"learners_create_boards": False},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert restored.status_code == 200, restored.text
