"""Search cannot exhaust the pool or stall the server, and bad queries are a 4xx: a cap on words,
operators that would overflow the tsquery stack removed, a statement timeout, snippets from a
bounded prefix, a per-user rate limit, NUL refused; and "post before you see replies" holds in
search results."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from forum.queries import search as search_sql
from forum.service import search as search_service
from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS, Forum

WORDS = [f"w{i:02d}" for i in range(40)]  # 40 words in 159 characters (q: at most 200)


def search_url(course) -> str:
    return f"/api/v1/courses/{course.id}/search"


async def timed(request) -> tuple[object, float]:
    start = time.perf_counter()
    response = await request
    return response, time.perf_counter() - start


async def test_a_40_word_search_over_a_50000_character_post_is_bounded(forum, course, client):
    """40 words are refused at once; the most the server accepts (16 words, every one in a
    50,000-character post) answers within the statement timeout, and a request timed while it
    runs answers at once: the event loop is never blocked."""
    body = (" ".join(WORDS) + " ") * (50_000 // (len(" ".join(WORDS)) + 1))
    assert 45_000 < len(body) <= 50_000
    await forum.thread(course.alice, title="Everything", body=body)

    too_many, took = await timed(
        client.get(search_url(course), params={"q": " ".join(WORDS)}, headers=course.bob.headers)
    )
    assert too_many.status_code == 400
    assert too_many.headers["content-type"] == "application/problem+json"
    assert "at most 16 words" in too_many.json()["detail"]

    widest = " ".join(WORDS[: search_service.MAX_TERMS])  # every one in the post, 2,000 times
    search = asyncio.ensure_future(
        timed(client.get(search_url(course), params={"q": widest}, headers=course.bob.headers))
    )
    await asyncio.sleep(0)  # the search is under way
    health, health_took = await timed(client.get("/health"))
    (response, search_took) = await search
    assert health.status_code == 200
    assert health_took < 1.0, f"/health took {health_took:.2f} s while a search ran"
    assert response.status_code == 200, response.text
    [hit] = response.json()["items"]
    assert "<mark>w00</mark>" in hit["snippet"]
    assert search_took < search_service.SEARCH_TIMEOUT_MS / 1000 + 1.0


@pytest.mark.parametrize(
    "q",
    [
        "-" * 199 + "a",  # one NOT per "-": "tsquery stack too small" (a 500 before)
        "-(" * 99 + "a",
        "-" * 200,
        "--a " * 16,
        '-"a b" ' * 8,
        'a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z "unclosed',
    ],
)
async def test_queries_that_overflowed_the_tsquery_stack_are_answered(client, course, q):
    response = await client.get(search_url(course), params={"q": q}, headers=course.bob.headers)
    assert response.status_code == 200, response.text


async def test_a_nul_in_search_or_similar_is_400(client, course):
    for url, params in (
        (search_url(course), {"q": "glacier\x00melt"}),
        (f"/api/v1/courses/{course.id}/threads/similar", {"title": "glacier\x00melt"}),
        (f"/ui/courses/{course.id}/forum/search", {"q": "glacier\x00melt"}),
    ):
        response = await client.get(url, params=params, headers=course.bob.headers)
        assert response.status_code == 400, (url, response.text)
        assert "NUL" in response.text


async def test_search_is_rate_limited_per_user(client, course):
    for _ in range(search_service.SEARCHES_PER_MINUTE):
        ok = await client.get(search_url(course), params={"q": "x"}, headers=course.bob.headers)
        assert ok.status_code == 200
    limited = await client.get(search_url(course), params={"q": "x"}, headers=course.bob.headers)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) >= 1
    other = await client.get(search_url(course), params={"q": "x"}, headers=course.carol.headers)
    assert other.status_code == 200  # per user, not per course


async def test_the_search_statement_timeout_cancels_a_long_query(conn):
    """SET LOCAL statement_timeout, as the search sets it: a slower statement is cancelled."""
    async with conn.transaction():
        previous = await search_sql.set_local_search_planning(conn, "4MB", timeout_ms=100)
        assert await conn.fetchval("SHOW statement_timeout") == "100ms"
        with pytest.raises(asyncpg.QueryCanceledError):
            async with conn.transaction():
                await conn.execute("SELECT pg_sleep(2)")
        await search_sql.set_local_timeout(conn, previous)
        assert await conn.fetchval("SHOW statement_timeout") == previous


async def test_the_search_timeout_ends_with_the_search(conn, client, course):
    """When the search runs inside a longer transaction (a test's, or a request's), the timeout
    it set does not outlive it."""
    before = await conn.fetchval("SHOW statement_timeout")
    for url, params in (
        (search_url(course), {"q": "glacier"}),
        (f"/api/v1/courses/{course.id}/threads/similar", {"title": "glacier melt"}),
    ):
        response = await client.get(url, params=params, headers=course.bob.headers)
        assert response.status_code == 200
        assert await conn.fetchval("SHOW statement_timeout") == before


async def test_snippets_come_from_a_bounded_prefix(forum, course, client):
    """ts_headline parses only the first SNIPPET_SOURCE_CHARS: a word found further in still
    ranks the post, and the snippet is the post's start."""
    body = "opening words " + "filler " * 2_000 + "needle"
    assert len(body) > search_service.SNIPPET_SOURCE_CHARS
    await forum.thread(course.alice, title="Long", body=body)
    response = await client.get(
        search_url(course), params={"q": "needle"}, headers=course.bob.headers
    )
    [hit] = response.json()["items"]
    assert "needle" not in hit["snippet"] and "opening" in hit["snippet"]


async def test_search_hides_replies_until_the_learner_has_replied(client, conn):
    course = await create_course(conn, settings_json={"forum": TEST_FORUM_SETTINGS})
    forum = Forum(client, course)
    thread = (await forum.thread(course.alice, title="Quiz", kind="question", post_first=True))[
        "thread"
    ]
    answer = await forum.reply(course.bob, thread["id"], body="the answer is permafrost")

    async def hits(who):
        response = await client.get(
            search_url(course), params={"q": "permafrost"}, headers=who.headers
        )
        assert response.status_code == 200, response.text
        return [h["post_id"] for h in response.json()["items"]]

    assert await hits(course.carol) == []  # has not posted: bob's reply stays hidden
    assert await hits(course.alice) == [answer["id"]]  # the thread's author sees replies
    assert await hits(course.bob) == [answer["id"]]  # one's own reply
    assert await hits(course.ta) == [answer["id"]]
    await forum.reply(course.carol, thread["id"], body="my own attempt")
    assert await hits(course.carol) == [answer["id"]]
