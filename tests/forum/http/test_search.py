"""Full-text search (per course language) and similar-thread suggestions."""

from __future__ import annotations

from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS, Forum


async def search(client, course, who, q, **params):
    response = await client.get(
        f"/api/v1/courses/{course.id}/search", params={"q": q, **params}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_search_ranks_title_matches_first_and_highlights(forum, course, client):
    in_body = await forum.thread(course.alice, title="Week 3 notes", body="The ocean absorbs heat.")
    in_title = await forum.thread(
        course.bob, title="Ocean heat content", body="How is it measured?"
    )
    result = await search(client, course, course.carol, "ocean heat")
    assert [h["thread_id"] for h in result["items"]] == [
        in_title["thread"]["id"],
        in_body["thread"]["id"],
    ]
    assert "<mark>Ocean</mark>" in result["items"][0]["snippet"]


async def test_search_snippets_are_escaped(forum, course, client):
    await forum.thread(
        course.alice,
        title="Markup",
        body="glacier <script>alert(1)</script> <img src=x onerror=alert(1)>",
    )
    [hit] = (await search(client, course, course.bob, "glacier"))["items"]
    assert "<script>" not in hit["snippet"] and "<img" not in hit["snippet"]
    assert "&lt;img" in hit["snippet"] and "<mark>glacier</mark>" in hit["snippet"]


async def test_search_skips_hidden_and_deleted_posts_for_learners(forum, course, client):
    thread_id = (await forum.thread(course.alice, title="Unrelated"))["thread"]["id"]
    hidden = await forum.reply(course.bob, thread_id, body="methane clathrate")
    deleted = await forum.reply(course.carol, thread_id, body="methane hydrate")
    await client.post(
        f"/api/v1/posts/{hidden['id']}/hide", json={"reason": "x"}, headers=course.ta.headers
    )
    await client.delete(f"/api/v1/posts/{deleted['id']}", headers=course.carol.headers)
    assert (await search(client, course, course.alice, "methane"))["items"] == []
    assert [
        h["post_id"] for h in (await search(client, course, course.ta, "methane"))["items"]
    ] == [hidden["id"]]


async def test_search_uses_the_course_language(conn, client):
    course = await create_course(conn, language="fr", settings_json={"forum": TEST_FORUM_SETTINGS})
    forum = Forum(client, course)
    created = await forum.thread(
        course.alice, title="Les glaciers fondent", body="La fonte des glaciers"
    )
    hits = (await search(client, course, course.bob, "glacier"))["items"]  # French stemming
    assert [h["thread_id"] for h in hits] == [created["thread"]["id"]]


async def test_search_pages_by_cursor(forum, course, client):
    for i in range(5):
        await forum.thread(course.alice, title=f"carbon budget {i}", body="carbon " * (i + 1))
    first = await search(client, course, course.bob, "carbon", limit=2)
    second = await search(
        client, course, course.bob, "carbon", limit=2, cursor=first["next_cursor"]
    )
    third = await search(
        client, course, course.bob, "carbon", limit=2, cursor=second["next_cursor"]
    )
    ids = [h["post_id"] for h in first["items"] + second["items"] + third["items"]]
    assert len(ids) == len(set(ids)) == 5 and third["next_cursor"] is None


async def test_search_query_syntax_never_breaks(forum, course, client):
    for q in ['"unclosed', "a & | ! :* )(", "-", "OR OR"]:
        assert (
            await client.get(
                f"/api/v1/courses/{course.id}/search", params={"q": q}, headers=course.bob.headers
            )
        ).status_code == 200
    assert (
        await client.get(
            f"/api/v1/courses/{course.id}/search", params={"q": " "}, headers=course.bob.headers
        )
    ).status_code == 400


async def test_similar_threads_while_typing_a_title(forum, course, client):
    albedo = await forum.thread(course.alice, title="What is the albedo effect?")
    await forum.thread(course.alice, title="Exam dates")
    response = await client.get(
        f"/api/v1/courses/{course.id}/threads/similar",
        params={"title": "albedo effect"},
        headers=course.bob.headers,
    )
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["items"]] == [albedo["thread"]["id"]]
