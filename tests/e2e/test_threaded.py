"""The threaded thread page in Chromium (issue 12.1), every person launched from the dev LMS.

A question with a chain of replies five levels deep (the demo course shows three) and an
accepted answer posted last: the asker sees the replies nested with visible indentation, the
fourth level flattened under the third with "In reply to Anonymous" (its parent was posted
anonymously to peers), the accepted answer first with a link to its place; she collapses and
expands a subtree; a reply another learner posts under a nested reply arrives live in its place
(not at the bottom), and a collapsed subtree stays collapsed through the refresh; at 375 px wide
nothing overflows. Any console error, uncaught exception or failed request fails the journey."""

from __future__ import annotations

import asyncpg
from playwright.async_api import expect

from agora.db import init_connection
from agora.sessions import select_principal
from forum.schemas import PostCreate, PostRead, ThreadCreate
from forum.service import posts as posts_service
from forum.service import threads as threads_service
from forum.service import votes as votes_service
from tests.e2e.conftest import check_accessibility, demo_session, screenshot_path
from tests.e2e.test_staff_journeys import launch_forum, run_journey

TITLE = "Why is the stratosphere cooling while the surface warms?"
LIVE_TIMEOUT = 20_000


LONG_TITLE = "Does cloud cover change with cosmic rays?"


class Seeded:
    thread_id: int
    posts: dict[str, PostRead]


async def seed(server, *, long: bool = False) -> Seeded:
    """The thread as people would have written it (through the services, without the rate
    limiter); its live events go through the server's outbox and worker like any others.
    `long`: an answer with 55 comments, then the accepted answer: past the first page."""
    people = {}
    course_id = 0
    for sub in ("dev-learner-1", "dev-learner-2", "dev-learner-3", "dev-learner-4"):
        token, course_id = await demo_session(server, sub)
        people[sub] = token
    connection = await asyncpg.connect(server.database_url)
    try:
        await init_connection(connection)
        who = {sub: await select_principal(connection, t) for sub, t in people.items()}
        amara, lucas, mei, jonas = (who[f"dev-learner-{n}"] for n in range(1, 5))
        seeded = Seeded()
        thread = await threads_service.create_thread(
            connection, None, amara, course_id,
            ThreadCreate(title=LONG_TITLE if long else TITLE, kind="question",
                         body="Greenhouse gases warm the surface; why would any layer cool?"),
        )  # fmt: skip
        seeded.thread_id = thread.thread.id

        async def reply(person, body, parent=None, anonymity=None) -> PostRead:
            data = PostCreate(body=body, parent_id=parent.id if parent else None,
                              anonymity=anonymity)  # fmt: skip
            return await posts_service.create_post(connection, None, person, seeded.thread_id, data)

        if long:
            a = await reply(lucas, "Svensmark says so; most measurements say no.")
            for n in range(55):
                await reply(mei if n % 2 else jonas, f"Comment {n + 1} on the cosmic rays.", a)
            late = await reply(mei, "No measurable effect: CLOUD at CERN found it too small.")
            await votes_service.accept_answer(connection, amara, late.id, True)
            seeded.posts = {"a": a, "late": late}
            return seeded
        a = await reply(lucas, "More CO2 emits more to space from the thin upper air.")
        b = await reply(mei, "So the emission wins over absorption up there?", a)
        c = await reply(jonas, "I think ozone matters too, not only CO2.", b, "peers")
        d = await reply(lucas, "Ozone loss cooled it as well, yes (1980s-90s).", c)
        e = await reply(mei, "Up there the air is optically thin: added CO2 radiates more "
                             "energy away than it absorbs, so it cools.")  # fmt: skip
        await votes_service.accept_answer(connection, amara, e.id, True)
        seeded.posts = {"a": a, "b": b, "c": c, "d": d, "e": e}
    finally:
        await connection.close()
    return seeded


async def test_threaded_replies_collapse_answer_first_live_and_narrow(server, browser):
    seeded = await seed(server)
    a, b, c, d, e = (seeded.posts[k] for k in "abcde")

    async def journey(asker_context, replier_context):
        asker = await launch_forum(asker_context, server, "Amara Okafor")
        await asker.get_by_role("link", name="All threads").click()
        await asker.get_by_role("link", name=TITLE).click()
        await expect(asker.get_by_role("heading", level=1)).to_have_text(TITLE)

        def article(post):
            return asker.locator(f"#post-{post.id}")

        # Nesting: each level inside its parent's container, visibly indented.
        await expect(asker.locator(f"#replies-{a.path} #post-{b.id}")).to_be_visible()
        await expect(asker.locator(f"#replies-{b.path} #post-{c.id}")).to_be_visible()
        boxes = {k: await article(p).bounding_box() for k, p in seeded.posts.items()}
        assert boxes["a"]["x"] < boxes["b"]["x"] < boxes["c"]["x"], boxes
        # The fourth level is flattened: no further indent, and it says whom it answers,
        # anonymously (the parent was posted anonymous to peers).
        assert boxes["d"]["x"] == boxes["c"]["x"], boxes
        reply_to = article(d).locator(".reply-to")
        await expect(reply_to).to_have_text("In reply to Anonymous")
        assert "Jonas Weber" not in await asker.content()
        await reply_to.get_by_role("link", name="Anonymous").click()
        assert asker.url.endswith(f"#post-{c.id}")
        await expect(article(c)).to_be_in_viewport()

        # The accepted answer, posted last, is shown first, with a link to its place.
        first = asker.locator(".answers-first")
        await expect(first).to_contain_text("optically thin")
        await expect(first).to_contain_text("Accepted answer")
        assert (await first.bounding_box())["y"] < boxes["a"]["y"]
        assert boxes["e"]["y"] > boxes["d"]["y"]  # in the tree, it stays last
        await first.get_by_role("link", name="See it in the thread").click()
        assert asker.url.endswith(f"#post-{e.id}")
        await expect(article(e)).to_be_in_viewport()
        await asker.evaluate("() => window.scrollTo(0, 0)")
        await asker.screenshot(path=str(screenshot_path("thread-threaded")), full_page=True)
        await check_accessibility(asker, "thread-threaded-axe")

        # Collapse and expand a subtree (a's replies: b, c, d).
        toggle = asker.locator(f'.node[data-path="{a.path}"] > details > summary')
        await expect(toggle).to_have_text("Hide replies", use_inner_text=True)
        await toggle.click()
        for hidden in (b, c, d):
            await expect(article(hidden)).to_be_hidden()
        await expect(toggle).to_have_text("Show replies (3)", use_inner_text=True)
        await expect(article(a)).to_be_visible()
        await asker.screenshot(path=str(screenshot_path("thread-collapsed")), full_page=True)
        await toggle.click()
        for shown in (b, c, d):
            await expect(article(shown)).to_be_visible()
        # c's subtree (d) collapsed before the live update below must stay collapsed.
        await asker.locator(f'.node[data-path="{c.path}"] > details > summary').click()
        await expect(article(d)).to_be_hidden()

        # Another learner replies under b; it lands under b on her page and, live, on the
        # asker's (under b, not at the bottom).
        replier = await launch_forum(replier_context, server, "Lucas Bernard")
        await replier.get_by_role("link", name="All threads").click()
        await replier.get_by_role("link", name=TITLE).click()
        await replier.locator(f"#post-{b.id}").get_by_role("button", name="Reply").click()
        slot = replier.locator(f"#reply-slot-{b.id}")
        await slot.locator("textarea").fill("The live reply under b.")
        await slot.get_by_role("button", name="Post reply").click()
        placed = replier.locator(f"#replies-{b.path} > .node", has_text="The live reply under b.")
        await expect(placed).to_be_visible()
        await expect(slot.locator("form")).to_have_count(0)

        live = asker.locator(f"#replies-{b.path} > .node", has_text="The live reply under b.")
        await expect(live).to_be_visible(timeout=LIVE_TIMEOUT)
        top_level = asker.locator(f"#replies-{a.path[:8]} > .node")
        await expect(top_level.last).to_contain_text("optically thin")  # e is still last
        await expect(article(d)).to_be_hidden()  # still collapsed after the refresh
        c_toggle = asker.locator(f'.node[data-path="{c.path}"] > details > summary')
        await expect(c_toggle).to_have_text("Show replies (1)", use_inner_text=True)
        await asker.locator(f'.node[data-path="{c.path}"] > details > summary').click()
        await expect(article(d)).to_be_visible()

        # 375 px wide (a phone, or a narrow LMS column): nothing overflows sideways.
        await asker.set_viewport_size({"width": 375, "height": 800})
        await asker.evaluate("() => window.scrollTo(0, 0)")
        overflow = await asker.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, overflow
        narrow = {k: await article(p).bounding_box() for k, p in seeded.posts.items()}
        assert narrow["a"]["x"] < narrow["b"]["x"] < narrow["c"]["x"] == narrow["d"]["x"]
        assert narrow["d"]["width"] > 250, narrow  # the deepest level still reads comfortably
        await expect(article(d).locator(".reply-to")).to_have_text("In reply to Anonymous")
        await asker.screenshot(path=str(screenshot_path("thread-threaded-375")), full_page=True)
        await check_accessibility(asker, "thread-threaded-375-axe")

    await run_journey(browser, 2, journey)


async def test_an_answer_past_the_loaded_posts_is_one_click_away(server, browser):
    """The accepted answer comes after 56 posts (a page holds 50): its link loads the rest,
    whose replies go into the containers they belong in, and goes to it."""
    seeded = await seed(server, long=True)
    a, late = seeded.posts["a"], seeded.posts["late"]

    async def journey(context):
        reader = await launch_forum(context, server, "Jonas Weber")
        await reader.get_by_role("link", name="All threads").click()
        await reader.get_by_role("link", name=LONG_TITLE).click()
        first = reader.locator(".answers-first")
        await expect(first).to_contain_text("CLOUD at CERN")
        await expect(reader.locator(f"#post-{late.id}")).to_have_count(0)  # not loaded yet
        await first.get_by_role("link", name="See it in the thread").click()
        await expect(reader.locator(f"#post-{late.id}")).to_be_in_viewport()
        assert reader.url.endswith(f"#post-{late.id}")
        # Page two went where it belongs: the rest of a's comments under a, then the answer.
        await expect(reader.locator(f"#replies-{a.path} > .node")).to_have_count(55)
        top = reader.locator(f"#replies-{a.path[:8]} > .node")
        await expect(top).to_have_count(2)
        await expect(top.last).to_contain_text("CLOUD at CERN")
        await expect(reader.locator(".run")).to_have_count(0)
        await reader.screenshot(path=str(screenshot_path("thread-long-answer")), full_page=False)

    await run_journey(browser, 1, journey)
