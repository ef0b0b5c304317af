"""Files from the thread page: the reply form posts them (multipart, as htmx sends it) with the
reply, in one transaction; the page shows images inline and other files as download links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from agora import storage
from agora.app import create_app
from tests.files import pdf, png
from tests.forum.pages.conftest import ui

HTMX = {"HX-Request": "true"}


@pytest.fixture
def app(settings, database, redis, store):
    return create_app(settings, database=database, redis=redis, store=store)


async def test_a_reply_with_files_shows_the_image_inline_and_the_pdf_as_a_download(
    client, course, question, store
):
    thread = ui(course, f"/forum/threads/{question.id}")
    response = await client.post(
        f"{thread}/posts",
        data={"body": "My notes for week 3"},
        files=[
            ("files", ("week3.pdf", pdf(), "application/pdf")),
            ("files", ("graph.png", png(), "image/png")),
        ],
        headers=course.alice.headers | HTMX,
    )
    assert response.status_code == 200, response.text
    assert "My notes for week 3" in response.text
    assert re.search(r'<img src="/media/attachments/[^"]+" alt="graph.png"', response.text)
    assert re.search(r'<a href="/media/attachments/[^"]+" download="week3.pdf">', response.text)

    page = await client.get(thread, headers=course.bob.headers)
    image = re.search(r'<img src="(/media/attachments/[^"]+)" alt="graph.png"', page.text)
    download = re.search(r'<a href="(/media/attachments/[^"]+)" download="week3.pdf">', page.text)
    assert image and download
    assert (await client.get(image.group(1))).content == png()
    assert (await client.get(download.group(1))).content == pdf()
    # The size is shown beside the file's name.
    assert re.search(r"week3.pdf</a> <span[^>]*>\(\d+ Bytes\)", page.text)


async def test_a_refused_file_leaves_no_reply_and_no_object(client, course, question, store, conn):
    thread = ui(course, f"/forum/threads/{question.id}")
    posts_before = await conn.fetchval(
        "SELECT count(*) FROM forum_posts WHERE course_id = $1", course.id
    )
    response = await client.post(
        f"{thread}/posts",
        data={"body": "Here is my script"},
        files=[
            ("files", ("fine.png", png(), "image/png")),
            ("files", ("notes.pdf", b"#!/bin/sh\nrm -rf /", "application/pdf")),
        ],
        headers=course.alice.headers | HTMX,
    )
    assert response.status_code == 415
    assert "Here is my script" not in response.text
    posts_after = await conn.fetchval(
        "SELECT count(*) FROM forum_posts WHERE course_id = $1", course.id
    )
    assert posts_after == posts_before
    assert await storage.keys_older_than(store, "forum/", timedelta(seconds=-60)) == []


async def test_a_reply_without_files_still_posts_from_a_multipart_form(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    response = await client.post(
        f"{thread}/posts",
        data={"body": "Just text"},
        files=[("files", ("", b"", "application/octet-stream"))],  # an empty file input
        headers=course.alice.headers | HTMX,
    )
    assert response.status_code == 200, response.text
    assert "Just text" in response.text and "/media/attachments/" not in response.text


async def test_a_new_notes_thread_carries_files_on_its_opening_post(client, course, store):
    response = await client.post(
        ui(course, "/forum/threads"),
        data={"title": "Week 3 notes", "body": "Shared before the exam", "kind": "notes"},
        files=[("files", ("summary.pdf", pdf(), "application/pdf"))],
        headers=course.alice.headers | HTMX,
    )
    assert response.status_code == 200, response.text
    assert "Week 3 notes" in response.text
    link = re.search(r'<a href="(/media/attachments/[^"]+)" download="summary.pdf">', response.text)
    assert link and (await client.get(link.group(1))).content == pdf()
    new_form = await client.get(ui(course, "/forum/new"), headers=course.alice.headers)
    assert 'enctype="multipart/form-data"' in new_form.text and 'name="files"' in new_form.text
