"""Submission attachments (issue 13.10), on the filesystem and the S3 store: the owner attaches
while submissions are open; the reviewers the submission is allocated to and staff get the
files by signed links, blind (nothing names the author); nobody else does."""

from __future__ import annotations

import pytest

from agora.app import create_app
from tests.files import pdf, png
from tests.peerreview.helpers import (
    create_assignment,
    drain_jobs,
    learners,
    learners_course,
    set_phase,
    submit,
)

API = "/api/v1"


@pytest.fixture
def app(settings, database, redis, store):
    return create_app(settings, database=database, redis=redis, store=store)


async def upload(client, who, submission_id, *files):
    return await client.post(
        f"{API}/submissions/{submission_id}/attachments",
        files=[("file", f) for f in files],
        headers=who.headers,
    )


async def test_reviewers_get_the_files_of_the_work_they_review_and_nobody_else(
    client, conn, database, redis, run_jobs, store
):
    course = await learners_course(conn, 4)
    a = await create_assignment(client, course, reviews_per_submission=2)
    aid = a["id"]
    await set_phase(client, course, aid, "submission")
    author, *others = learners(course)
    mine = await submit(client, author, aid, "My report is attached.")
    response = await upload(
        client,
        author,
        mine["id"],
        ("report.pdf", pdf(), "application/pdf"),
        ("lab-photo.png", png(), "image/png"),
    )
    assert response.status_code == 201, response.text
    assert [i["content_type"] for i in response.json()["items"]] == ["application/pdf", "image/png"]
    # Another learner cannot attach to it, nor see it before any allocation.
    assert (await upload(client, others[0], mine["id"], ("x.png", png(), "x"))).status_code == 404
    for m in others:
        await submit(client, m, aid)
    await set_phase(client, course, aid, "review")
    await drain_jobs(database, redis, run_jobs)

    seen = {}
    for m in others:
        listed = await client.get(f"{API}/submissions/{mine['id']}/attachments", headers=m.headers)
        seen[m.user_id] = listed
    reviewers = [m for m in others if seen[m.user_id].status_code == 200]
    outsiders = [m for m in others if seen[m.user_id].status_code == 404]
    assert len(reviewers) == 2 and len(outsiders) == 1
    items = seen[reviewers[0].user_id].json()["items"]
    assert set(items[0]) == {
        "id", "submission_id", "filename", "content_type", "size_bytes", "is_image", "url",
        "created_at",
    }  # fmt: skip
    download = await client.get(items[0]["url"])
    assert download.status_code == 200 and download.content == pdf()
    assert download.headers["content-disposition"].startswith("attachment")
    assert author.name not in str(items) and author.name not in str(download.headers)
    # Staff see every file.
    staff = await client.get(
        f"{API}/submissions/{mine['id']}/attachments", headers=course.instructor.headers
    )
    assert [i["filename"] for i in staff.json()["items"]] == ["report.pdf", "lab-photo.png"]
    # Submissions are closed: no more files, even from the author.
    late = await upload(client, author, mine["id"], ("late.pdf", pdf(), "application/pdf"))
    assert late.status_code == 409


async def test_a_submission_file_is_judged_by_its_content_and_bounded(client, conn, store):
    course = await learners_course(conn, 1)
    a = await create_assignment(client, course)
    await set_phase(client, course, a["id"], "submission")
    (author,) = learners(course)
    mine = await submit(client, author, a["id"])
    refused = await upload(client, author, mine["id"], ("essay.pdf", b"<html>", "application/pdf"))
    assert refused.status_code == 415
    assert refused.headers["content-type"] == "application/problem+json"
    files = [("p.png", png(), "image/png")] * 6  # one more than a submission carries
    assert (await upload(client, author, mine["id"], *files)).status_code == 422
    listed = await client.get(f"{API}/submissions/{mine['id']}/attachments", headers=author.headers)
    assert listed.json()["items"] == []  # nothing half-written


async def test_the_hourly_job_sweeps_an_orphaned_submission_file(
    database, database_url, server_urls, tmp_path, conn
):
    import os
    import time
    from datetime import timedelta

    from agora import storage
    from agora.settings import load_settings
    from peerreview.jobs import peerreview_sweep_attachments

    course = await learners_course(conn, 1)
    settings = load_settings(
        environ={},
        database_url=database_url,
        redis_url=server_urls["redis"],
        storage_url=f"file://{tmp_path}/files",
    )
    store = storage.open_store(settings)
    old = storage.new_key("review", course.id)
    await storage.put(store, old, b"%PDF-1.4")
    two_hours_ago = time.time() - 7200
    os.utime(tmp_path / "files" / old, (two_hours_ago, two_hours_ago))
    assert await peerreview_sweep_attachments({"db": database, "settings": settings}) == 1
    assert await storage.keys_older_than(store, "review/", timedelta(seconds=-60)) == []
