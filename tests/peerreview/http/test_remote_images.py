"""Remote images in peer-review texts are recorded for Agora's image proxy (issue 12.8), as in
the forum: the rendered text points at /media/remote/<digest>, and the proxy fetches only URLs
recorded this way, so without the record the image would never show."""

from __future__ import annotations

from tests.peerreview.helpers import create_assignment, set_phase, submit

IMAGE = "https://images.example.org/carbon-cycle.png"


async def test_a_submission_and_a_prompt_record_their_remote_images(client, conn, course):
    assignment = await create_assignment(
        client, course, prompt=f"Explain this figure: ![cycle]({IMAGE}?from=prompt)"
    )
    await set_phase(client, course, assignment["id"], "submission")
    mine = await submit(client, course.alice, assignment["id"], body=f"See ![mine]({IMAGE})")
    assert "/media/remote/" in mine["body_html"] and IMAGE not in mine["body_html"]
    recorded = {r["url"] for r in await conn.fetch("SELECT url FROM remote_images")}
    assert {IMAGE, f"{IMAGE}?from=prompt"} <= recorded
