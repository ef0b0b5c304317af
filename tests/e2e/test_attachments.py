"""A learner shares notes with files: launched from the dev LMS, she attaches a PDF and an image
to a reply on the notes thread; another learner sees the image inline, served by Agora, and
downloads the PDF. No console error, no failed request."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.e2e.conftest import (
    demo_session,
    launch,
    launch_from_dev_lms,
    screenshot_path,
    watch_csp,
)
from tests.files import pdf, png

NOTES_THREAD = "Notes: radiative forcing formulas"
REPLY = "My formula sheet for the exam, with the forcing curve."


async def test_a_learner_attaches_a_pdf_and_an_image_that_another_sees_and_downloads(
    server, context, browser, problems
):
    author = await launch_from_dev_lms(context, server, "Lucas Bernard")
    await author.get_by_role("link", name="All threads").click()
    await author.get_by_role("link", name=NOTES_THREAD).click()
    await expect(author.get_by_role("heading", level=1)).to_have_text(NOTES_THREAD)
    thread_path = author.url.split(server.base_url)[1]

    await author.locator("#reply-root").fill(REPLY)
    await author.get_by_label("Attach files (images, PDF)").first.set_input_files(
        [
            {"name": "formula-sheet.pdf", "mimeType": "application/pdf", "buffer": pdf()},
            {"name": "forcing-curve.png", "mimeType": "image/png", "buffer": png(120, 60)},
        ]
    )
    await author.get_by_role("button", name="Post reply").click()
    mine = author.locator("article.post", has_text=REPLY)
    await expect(mine.locator("img[alt='forcing-curve.png']")).to_have_js_property(
        "naturalWidth", 120
    )
    await expect(mine.get_by_role("link", name="formula-sheet.pdf")).to_be_visible()

    # Another learner, whose session only the page's first request carried (no cookie): the
    # image and the download send no session at all, the signed links are the access.
    token, _ = await demo_session(server, "dev-learner-1")
    other = await browser.new_context(viewport={"width": 1000, "height": 900})
    watch_csp(other)
    problems.watch(other)
    try:
        reader = await launch(other, server, token, thread_path)
        post = reader.locator("article.post", has_text=REPLY)
        image = post.locator("img[alt='forcing-curve.png']")
        await expect(image).to_have_js_property("naturalWidth", 120)
        source = await image.get_attribute("src")
        assert source and source.startswith("/media/attachments/")  # Agora's own origin
        await post.scroll_into_view_if_needed()
        await reader.screenshot(path=screenshot_path("attachments-reader"), full_page=True)
        async with reader.expect_download() as waiting:
            await post.get_by_role("link", name="formula-sheet.pdf").click()
        download = await waiting.value
        assert download.suggested_filename == "formula-sheet.pdf"
        saved = Path(await download.path())
        assert saved.read_bytes() == pdf()  # noqa: ASYNC240 - a small file, in a test
        await expect(post).to_contain_text("formula-sheet.pdf")
    finally:
        await other.close()
    assert not problems.seen, problems.seen
