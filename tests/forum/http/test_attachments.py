"""Attachments on posts, through the API and signed links: every test runs on the filesystem
store and on the S3 server (the `store` fixture), with small limits so they are cheap to reach."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agora import attachments, media, storage
from agora.app import create_app
from agora.settings import load_settings
from forum.service import attachments as attachments_service
from tests.files import pdf, png

MAX_BYTES = 40_000
QUOTA = 100_000
PER_POST = 3


@pytest.fixture
def settings(database_url, server_urls):
    return load_settings(
        environ={},
        database_url=database_url,
        redis_url=server_urls["redis"],
        public_url="http://testserver.local",
        attachment_max_bytes=MAX_BYTES,
        attachment_quota_bytes=QUOTA,
        attachment_max_per_post=PER_POST,
    )


@pytest.fixture
def app(settings, database, redis, store):
    return create_app(settings, database=database, redis=redis, store=store)


async def upload(client, who, post_id, *files):
    return await client.post(
        f"/api/v1/posts/{post_id}/attachments",
        files=[("file", f) for f in files],
        headers=who.headers,
    )


async def stored_keys(store):
    return await storage.keys_older_than(store, "forum/", timedelta(seconds=-60))


async def test_a_learner_attaches_a_pdf_and_an_image_and_a_peer_gets_both(
    forum, course, client, store
):
    thread = await forum.thread(course.alice, title="Notes for the exam", kind="notes")
    reply = await forum.reply(course.alice, thread["thread"]["id"], body="My summary")
    response = await upload(
        client,
        course.alice,
        reply["id"],
        ("week3.pdf", pdf(), "application/pdf"),
        ("diagram.png", png(), "image/png"),
    )
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert [(i["filename"], i["content_type"], i["is_image"]) for i in items] == [
        ("week3.pdf", "application/pdf", False),
        ("diagram.png", "image/png", True),
    ]
    assert len(await stored_keys(store)) == 2

    read = await forum.read(course.bob, thread["thread"]["id"])
    shown = next(p for p in read["posts"] if p["id"] == reply["id"])["attachments"]
    assert [a["filename"] for a in shown] == ["week3.pdf", "diagram.png"]
    pdf_link, png_link = (a["url"] for a in shown)
    assert pdf_link.startswith("/media/attachments/")

    got_pdf = await client.get(pdf_link)  # no session: the signed link is the access
    assert got_pdf.status_code == 200 and got_pdf.content == pdf()
    assert got_pdf.headers["content-type"] == "application/pdf"
    assert got_pdf.headers["content-disposition"].startswith('attachment; filename="week3.pdf"')
    assert got_pdf.headers["x-content-type-options"] == "nosniff"
    got_png = await client.get(png_link)
    assert got_png.status_code == 200 and got_png.content == png()
    assert got_png.headers["content-type"] == "image/png"
    assert got_png.headers["content-disposition"].startswith("inline")
    assert "default-src 'none'" in got_png.headers["content-security-policy"]


async def test_the_type_is_judged_by_the_content_not_the_name(forum, course, client, store):
    thread = await forum.thread(course.alice)
    post_id = thread["posts"][0]["id"]
    for name, data, declared in (
        ("notes.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image/svg+xml"),
        ("notes.pdf", b"MZ\x90\x00 an executable", "application/pdf"),
    ):
        response = await upload(client, course.alice, post_id, (name, data, declared))
        assert response.status_code == 415, name
        assert response.headers["content-type"] == "application/problem+json"
        assert "application/pdf" in response.json()["detail"]
    assert await stored_keys(store) == []  # refused before anything was written
    # A real image named .pdf is an image: served inline as what it is.
    response = await upload(client, course.alice, post_id, ("report.pdf", png(), "application/pdf"))
    assert response.status_code == 201
    assert response.json()["items"][0]["content_type"] == "image/png"


async def test_size_quota_and_count_are_bounded_and_a_refusal_writes_nothing(
    forum, course, client, store, conn
):
    thread = await forum.thread(course.alice)
    post_id = thread["posts"][0]["id"]
    big = pdf() + b"\n%" + b"x" * MAX_BYTES
    response = await upload(client, course.alice, post_id, ("big.pdf", big, "application/pdf"))
    assert response.status_code == 413
    assert "40,000" in response.json()["detail"]

    # Three files of 30 kB fit a post; a fourth is past the files a post carries (422).
    part = pdf() + b"\n%" + b"x" * 30_000
    response = await upload(client, course.alice, post_id, *[("p.pdf", part, "x")] * 3)
    assert response.status_code == 201
    response = await upload(client, course.alice, post_id, ("p.pdf", pdf(), "x"))
    assert response.status_code == 422 and "at most 3 files" in response.json()["detail"]

    # Another post: 90 kB used of a 100 kB quota, 30 kB more is refused (413), all or nothing.
    other = await forum.reply(course.alice, thread["thread"]["id"])
    response = await upload(
        client, course.alice, other["id"], ("a.png", png(), "image/png"), ("b.pdf", part, "x")
    )
    assert response.status_code == 413 and "quota" not in response.text.lower()
    assert "more bytes" in response.json()["detail"]
    count = await conn.fetchval(
        "SELECT count(*) FROM forum_attachments WHERE course_id = $1", course.id
    )
    assert count == 3 and len(await stored_keys(store)) == 3
    # The quota is per member: Bob still has all of his.
    bob_post = await forum.reply(course.bob, thread["thread"]["id"])
    response = await upload(client, course.bob, bob_post["id"], ("b.pdf", part, "x"))
    assert response.status_code == 201


async def test_only_who_may_edit_the_post_attaches_to_it(forum, course, client):
    thread = await forum.thread(course.alice)
    post_id = thread["posts"][0]["id"]
    response = await upload(client, course.bob, post_id, ("x.png", png(), "image/png"))
    assert response.status_code == 403
    response = await upload(client, course.ta, post_id, ("x.png", png(), "image/png"))
    assert response.status_code == 201
    response = await client.post(
        f"/api/v1/posts/{post_id}/attachments",
        files=[("file", ("x.png", png(), "image/png"))],
        headers=course.bob.headers | {"Authorization": "Bearer nope"},
    )
    assert response.status_code == 401


async def test_a_hidden_posts_files_are_refused_to_learners_even_by_a_link_they_hold(
    forum, course, client
):
    thread = await forum.thread(course.alice)
    reply = await forum.reply(course.alice, thread["thread"]["id"])
    await upload(client, course.alice, reply["id"], ("x.png", png(), "image/png"))
    read = await forum.read(course.bob, thread["thread"]["id"])
    bobs_link = next(p for p in read["posts"] if p["id"] == reply["id"])["attachments"][0]["url"]
    assert (await client.get(bobs_link)).status_code == 200

    hidden = await client.post(
        f"/api/v1/posts/{reply['id']}/hide", json={"reason": "spam"}, headers=course.ta.headers
    )
    assert hidden.status_code == 200
    assert (await client.get(bobs_link)).status_code == 404
    read = await forum.read(course.bob, thread["thread"]["id"])
    assert next(p for p in read["posts"] if p["id"] == reply["id"])["attachments"] == []
    listed = await client.get(
        f"/api/v1/posts/{reply['id']}/attachments", headers=course.bob.headers
    )
    assert listed.json()["items"] == []
    # The author and staff still see it.
    for who in (course.alice, course.ta):
        read = await forum.read(who, thread["thread"]["id"])
        link = next(p for p in read["posts"] if p["id"] == reply["id"])["attachments"][0]["url"]
        assert (await client.get(link)).status_code == 200


async def test_an_anonymous_posts_files_do_not_name_the_author(forum, course, client):
    thread = await forum.thread(course.alice, anonymity="all")
    post_id = thread["posts"][0]["id"]
    await upload(client, course.alice, post_id, ("alice-notes.pdf", pdf(), "application/pdf"))
    read = await forum.read(course.bob, thread["thread"]["id"])
    (attachment,) = read["posts"][0]["attachments"]
    assert set(attachment) == {
        "id", "post_id", "filename", "content_type", "size_bytes", "is_image", "url",
        "created_at",
    }  # fmt: skip
    assert "Alice" not in str(read["posts"][0])
    download = await client.get(attachment["url"])
    assert download.status_code == 200 and "Alice" not in str(download.headers)


async def test_a_link_cannot_be_forged_moved_to_another_file_or_used_once_expired(
    forum, course, other_course, client, conn
):
    thread = await forum.thread(course.alice)
    post_id = thread["posts"][0]["id"]
    response = await upload(client, course.alice, post_id, ("x.png", png(), "image/png"))
    link = response.json()["items"][0]["url"]
    token = link.removeprefix(attachments_service.MEDIA_PATH)
    payload, _, mac = token.partition(".")
    assert (await client.get(link[:-2] + ("AA" if link[-2:] != "AA" else "BB"))).status_code == 404
    key = await attachments.link_key(conn)
    verified = media.verify_link(key, token)
    assert verified is not None and verified.course_id == course.id
    # The same file id in another course, signed by someone without the key: refused.
    forged = media.sign_link(b"k" * 32, media.MediaLink("forum", other_course.id, 1, 1, 2**40))
    assert (await client.get(attachments_service.MEDIA_PATH + forged)).status_code == 404
    # Past its expiry the genuine link says nothing any more.
    assert media.verify_link(key, token, now=verified.expires + 1) is None
    assert (await client.get("/media/attachments/" + "x" * 401)).status_code == 400


async def test_a_removed_attachment_is_gone_and_the_sweep_deletes_only_orphans(
    forum, course, client, store, conn
):
    thread = await forum.thread(course.alice)
    post_id = thread["posts"][0]["id"]
    response = await upload(
        client, course.alice, post_id, ("a.png", png(), "image/png"), ("b.pdf", pdf(), "x")
    )
    kept, removed = response.json()["items"]
    assert (
        await client.delete(f"/api/v1/attachments/{removed['id']}", headers=course.bob.headers)
    ).status_code == 403
    response = await client.delete(
        f"/api/v1/attachments/{removed['id']}", headers=course.alice.headers
    )
    assert response.status_code == 204
    assert (await client.get(removed["url"])).status_code == 404
    # An object whose transaction never committed (written, then the request failed).
    stray = storage.new_key("forum", course.id)
    await storage.put(store, stray, b"%PDF-1.4")
    assert len(await stored_keys(store)) == 3
    # Young objects are left alone: their transaction may still be running.
    assert await attachments_service.sweep_orphans(conn, store) == 0
    swept = await attachments_service.sweep_orphans(conn, store, age=timedelta(seconds=-60))
    assert swept == 2
    assert len(await stored_keys(store)) == 1
    assert (await client.get(kept["url"])).status_code == 200


async def test_the_hourly_job_sweeps_an_hour_old_orphan_from_the_configured_store(
    database, database_url, server_urls, tmp_path, course
):
    import os
    import time

    from forum.jobs import forum_sweep_attachments

    settings = load_settings(
        environ={},
        database_url=database_url,
        redis_url=server_urls["redis"],
        storage_url=f"file://{tmp_path}/files",
    )
    store = storage.open_store(settings)
    old, young = storage.new_key("forum", course.id), storage.new_key("forum", course.id)
    for key in (old, young):
        await storage.put(store, key, b"%PDF-1.4")
    two_hours_ago = time.time() - 7200
    os.utime(tmp_path / "files" / old, (two_hours_ago, two_hours_ago))
    assert await forum_sweep_attachments({"db": database, "settings": settings}) == 1
    assert await stored_keys(store) == [young]


async def test_an_anonymous_posts_photo_loses_the_name_and_place_its_camera_wrote(
    forum, course, client
):
    from tests.agora.test_media import exif, jpeg

    thread = await forum.thread(course.alice, anonymity="peers")
    photo = jpeg(exif(1, b"GPS 48.8566N 2.3522E"))
    response = await upload(
        client, course.alice, thread["posts"][0]["id"], ("IMG_0001.jpg", photo, "image/jpeg")
    )
    assert response.status_code == 201
    (item,) = response.json()["items"]
    served = await client.get(item["url"])
    assert served.headers["content-type"] == "image/jpeg"
    assert b"Alice" not in served.content and b"GPS" not in served.content
    assert item["size_bytes"] == len(served.content) < len(photo)
