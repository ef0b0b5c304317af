"""Files with a submission, from the pages: the learner attaches them in the submission form
(multipart), sees them with their work; the reviewer the work goes to sees them beside it."""

from __future__ import annotations

import re

import pytest

from agora.app import create_app
from tests.files import pdf, png
from tests.peerreview.pages.helpers import create_assignment


@pytest.fixture
def app(settings, database, redis, store):
    return create_app(settings, database=database, redis=redis, store=store)


async def test_a_submission_carries_files_its_reviewer_sees(client, course, database, store):
    url = await create_assignment(client, course)
    staff, alice, bob = course.instructor.headers, course.alice.headers, course.bob.headers
    opened = await client.post(url + "/phase", data={"phase": "submission"}, headers=staff)
    assert opened.is_success
    form = await client.get(url, headers=bob)
    assert 'hx-encoding="multipart/form-data"' in form.text and 'name="files"' in form.text
    saved = await client.post(
        url + "/submission",
        data={"body": "Bob's essay, with the data"},
        files=[("files", ("data.pdf", pdf(), "application/pdf")),
               ("files", ("chart.png", png(), "image/png"))],
        headers=bob,
    )  # fmt: skip
    assert saved.status_code == 200 and "Saved." in saved.text
    assert re.search(r'<a href="/media/submissions/[^"]+" download="data.pdf">', saved.text)
    refused = await client.post(
        url + "/submission",
        data={"body": "Edited"},
        files=[("files", ("x.pdf", b"<script>", "application/pdf"))],
        headers=bob,
    )
    assert refused.status_code == 415
    page = await client.get(url, headers=bob)
    assert "Edited" not in page.text  # a refused file saved nothing
    for who, text in ((alice, "Alice's essay"), (course.carol.headers, "Carol's essay")):
        assert (await client.post(url + "/submission", data={"body": text}, headers=who)).is_success
    assert (await client.post(url + "/phase", data={"phase": "review"}, headers=staff)).is_success
    # Alice reviews Bob's work (the others are made busier), calibration not required here.
    await database.connection.execute(
        """UPDATE pr_submissions SET review_load = 1
            WHERE course_id = $1 AND author_id <> $2""",
        course.id,
        course.bob.user_id,
    )
    await database.connection.execute(
        "UPDATE pr_assignments SET calibration_required = 0 WHERE course_id = $1", course.id
    )
    task = await client.post(url + "/review/next", headers=alice)
    assert "Bob's essay, with the data" in task.text
    image = re.search(r'<img src="(/media/submissions/[^"]+)" alt="chart.png"', task.text)
    assert image and (await client.get(image.group(1))).content == png()
    files = task.text.split('<div class="attachments"')[1].split("</div>")[0]
    assert "Bob" not in files and "data.pdf" in files  # blind: nothing names the author
