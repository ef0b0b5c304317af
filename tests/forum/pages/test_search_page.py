"""The search page (forum.pages.browse.search_page): accents ignored, filters in the form and
kept on "More results", the author filter offered to staff only, odd form values no error."""

from __future__ import annotations

import html
import re

from forum.schemas import ThreadCreate
from forum.service import threads as threads_service
from tests.forum.pages.conftest import principal_of, ui


async def test_search_page_finds_words_typed_without_accents(client, course, conn, redis):
    alice = await principal_of(conn, course.alice)
    await threads_service.create_thread(
        conn, redis, alice, course.id,
        ThreadCreate(title="Le réchauffement", body="La **température** monte", kind="question"),
    )  # fmt: skip
    response = await client.get(
        ui(course, "/forum/search?q=temperature"), headers=course.bob.headers
    )
    assert response.status_code == 200
    assert "<mark>température</mark>" in response.text
    assert "**" not in response.text.split('id="search-results"')[1]


async def test_search_page_filters_and_keeps_them_on_more_results(client, course, conn, redis):
    alice = await principal_of(conn, course.instructor)  # staff: no daily thread limit
    for i in range(25):
        await threads_service.create_thread(
            conn, redis, alice, course.id,
            ThreadCreate(title=f"Albedo question {i}", body="albedo", kind="question"),
        )  # fmt: skip
    await threads_service.create_thread(
        conn, redis, alice, course.id,
        ThreadCreate(title="Albedo discussion", body="albedo", kind="discussion"),
    )  # fmt: skip
    response = await client.get(
        ui(course, "/forum/search?q=albedo&kind=question&answered=no&since=2000-01-01"),
        headers=course.bob.headers,
    )
    assert response.status_code == 200
    assert "Albedo discussion" not in response.text
    assert re.search(r'<option value="question" selected>', response.text)
    assert re.search(r'<option value="no" selected>', response.text)
    more = re.search(r'href="([^"]*cursor=[^"]*)"', response.text)
    assert more, "a second page"
    more_url = html.unescape(more.group(1))
    assert (
        "kind=question" in more_url and "answered=no" in more_url and "since=2000-01-01" in more_url
    )
    second = await client.get(more_url, headers=course.bob.headers)
    assert second.status_code == 200
    assert "Albedo question" in second.text and "Albedo discussion" not in second.text


async def test_author_filter_is_offered_to_staff_only(client, course):
    learner = await client.get(ui(course, "/forum/search?q=x"), headers=course.bob.headers)
    staff = await client.get(ui(course, "/forum/search?q=x"), headers=course.ta.headers)
    assert 'name="author"' not in learner.text and 'name="author"' in staff.text
    # A learner's author parameter is no filter (not an error, not a probe).
    probe = await client.get(ui(course, "/forum/search?q=x&author=ali"), headers=course.bob.headers)
    assert probe.status_code == 200


async def test_odd_form_values_are_no_filter(client, course):
    for query in ("board=abc", "board=²", "board=" + "9" * 40, "kind=poll", "since=2024-13-45",
                  "answered=maybe", "since=2025-02-01&until=2025-01-01"):  # fmt: skip
        response = await client.get(
            ui(course, f"/forum/search?q=ocean&{query}"), headers=course.bob.headers
        )
        assert response.status_code == 200, (query, response.text[:300])
