"""Text shown on pages is escaped exactly once: a title typed as "Is 3 < 5 & 7" reads as typed
in the thread list, on the thread page, in notifications, in search results and similar titles,
and as a peer-review assignment's title; the JSON API returns it as typed too."""

from __future__ import annotations

import re

from agora.outbox import relay_pending
from tests.forum.pages.conftest import ui
from tests.peerreview.helpers import create_assignment

TITLE = "Is 3 < 5 & 7"
ONCE = "Is 3 &lt; 5 &amp; 7"  # how the page's HTML source must carry it
TWICE = re.compile(r"&amp;(lt|amp|gt|#\d+);")  # an entity escaped a second time


def assert_shown_once(html: str, where: str) -> None:
    assert ONCE in html, f"{where}: the title is not on the page, escaped once"
    doubled = TWICE.findall(html)
    assert not doubled, f"{where}: text escaped twice ({doubled[:3]})"


async def test_a_title_with_markup_characters_reads_as_typed_everywhere(
    client, course, database, redis, run_jobs
):
    created = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": TITLE, "body": "Why is a glacier < an ocean & so on?", "kind": "question"},
        headers=course.alice.headers,
    )
    assert created.status_code == 201, created.text
    thread = created.json()["thread"]
    assert thread["title"] == TITLE  # JSON is not HTML: the text as typed
    reply = await client.post(
        f"/api/v1/threads/{thread['id']}/posts",
        json={"body": "Because 3 < 5 & 7 > 2"},
        headers=course.bob.headers,
    )
    assert reply.status_code == 201, reply.text
    while await relay_pending(database, redis):  # alice's notification of bob's reply
        await run_jobs()

    pages = {
        "thread list": ui(course, "/forum/threads"),
        "thread page": ui(course, f"/forum/threads/{thread['id']}"),
        "notifications": ui(course, "/notifications"),
        "search": ui(course, "/forum/search?q=glacier"),
        "similar titles": ui(course, "/forum/similar?title=Is+3+5+7+glacier"),
    }
    for where, url in pages.items():
        response = await client.get(url, headers=course.alice.headers)
        assert response.status_code == 200, (where, response.text[:300])
        assert_shown_once(response.text, where)


async def test_an_assignment_title_with_markup_characters_reads_as_typed(client, course):
    assignment = await create_assignment(client, course, title=TITLE)
    assert assignment["title"] == TITLE
    for where, path in {
        "assignment list": "/assignments",
        "assignment page": f"/assignments/{assignment['id']}",
    }.items():
        response = await client.get(ui(course, path), headers=course.instructor.headers)
        assert response.status_code == 200, (where, response.text[:300])
        assert_shown_once(response.text, where)


async def test_tags_are_still_removed_from_titles_even_written_as_entities(client, course):
    for typed, stored in {
        "<b>Bold</b> claim": "Bold claim",
        "&lt;script&gt;alert(1)&lt;/script&gt; hi": "alert(1) hi",
    }.items():
        response = await client.post(
            f"/api/v1/courses/{course.id}/threads",
            json={"title": typed, "body": "x"},
            headers=course.alice.headers,
        )
        assert response.status_code == 201, response.text
        assert response.json()["thread"]["title"] == stored
