"""Search as a French or English course needs it (issue 12.4): accents and case ignored on both
sides, snippets of the rendered text with the words as written, and filters by board, kind,
answered, author (staff only, anonymity kept) and date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS, Forum


async def search(client, course, who, q, **params):
    response = await client.get(
        f"/api/v1/courses/{course.id}/search", params={"q": q, **params}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def post_ids(client, course, who, q, **params) -> list[int]:
    return [h["post_id"] for h in await search(client, course, who, q, **params)]


async def test_french_search_without_accents_finds_accented_words(conn, client):
    course = await create_course(conn, language="fr", settings_json={"forum": TEST_FORUM_SETTINGS})
    forum = Forum(client, course)
    created = await forum.thread(
        course.alice,
        title="Le réchauffement climatique",
        body="L'ÉTÉ dernier, la sécheresse a touché le cœur des forêts.",
    )
    post_id = created["posts"][0]["id"]
    for typed in ("rechauffement", "RECHAUFFEMENT", "Réchauffement", "ete secheresse", "coeur"):
        assert await post_ids(client, course, course.bob, typed) == [post_id], typed
    [hit] = await search(client, course, course.bob, "rechauffement secheresse")
    # The highlight is on the words as written, accents and capitals included.
    assert "<mark>réchauffement</mark>" in hit["snippet"]
    assert "<mark>sécheresse</mark>" in hit["snippet"]
    # An accent typed where the text has none still matches.
    await forum.thread(course.bob, title="Modele", body="un modele simple")
    assert len(await search(client, course, course.carol, "modèle")) == 1


async def test_english_search_ignores_accents_and_case(forum, course, client):
    created = await forum.thread(
        course.alice, title="CAFÉ Discussion", body="A naïve résumé of the Straße data"
    )
    post_id = created["posts"][0]["id"]
    for typed in ("cafe", "Café", "NAIVE resume", "strasse"):
        assert await post_ids(client, course, course.bob, typed) == [post_id], typed
    [hit] = await search(client, course, course.bob, "naive")
    assert "<mark>naïve</mark>" in hit["snippet"]


async def test_snippets_show_the_rendered_text_not_markdown_or_tex(forum, course, client):
    await forum.thread(
        course.alice,
        title="Rendering",
        body=(
            "## Glacier heading\n\n**Glacier** mass with $\\Delta m = \\alpha T$ and "
            "[the glacier atlas](https://example.org/atlas) `glacier_code`"
        ),
    )
    [hit] = await search(client, course, course.bob, "glacier")
    snippet = hit["snippet"]
    assert "<mark>Glacier</mark> heading" in snippet and "the <mark>glacier</mark> atlas" in snippet
    for source in ("##", "**", "$", "\\alpha", "Delta", "https://", "]("):
        assert source not in snippet, source
    # TeX is not searchable text either.
    assert await search(client, course, course.bob, "alpha") == []


async def test_an_edit_changes_what_search_finds(forum, course, client):
    created = await forum.thread(course.alice, title="Edits", body="about the permafrost")
    edited = await client.patch(
        f"/api/v1/posts/{created['posts'][0]['id']}",
        json={"body": "about the tundra"},
        headers=course.alice.headers,
    )
    assert edited.status_code == 200, edited.text
    assert await search(client, course, course.bob, "permafrost") == []
    assert await post_ids(client, course, course.bob, "tundra") == [created["posts"][0]["id"]]


async def test_similar_titles_ignore_accents(conn, client):
    course = await create_course(conn, language="fr", settings_json={"forum": TEST_FORUM_SETTINGS})
    created = await Forum(client, course).thread(course.alice, title="Réchauffement des océans")
    response = await client.get(
        f"/api/v1/courses/{course.id}/threads/similar",
        params={"title": "rechauffement oceans"},
        headers=course.bob.headers,
    )
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["items"]] == [created["thread"]["id"]]


async def test_search_filters_by_board_kind_and_answered(forum, course, client):
    boards_url = f"/api/v1/courses/{course.id}/boards"
    week1 = await client.post(
        boards_url, json={"name": "Week 1"}, headers=course.instructor.headers
    )
    assert week1.status_code == 201, week1.text
    week1_id = week1.json()["id"]
    in_week1 = await forum.thread(
        course.alice, title="Albedo in week 1", kind="discussion", board_id=week1_id
    )
    question = await forum.thread(course.alice, title="Albedo question", kind="question")
    answered = await forum.thread(course.bob, title="Albedo answered", kind="question")
    answer = await forum.reply(course.carol, answered["thread"]["id"], body="it is 0.3")
    accepted = await client.put(f"/api/v1/posts/{answer['id']}/accept", headers=course.bob.headers)
    assert accepted.status_code < 300, accepted.text
    roots = {
        "week1": in_week1["posts"][0]["id"],
        "question": question["posts"][0]["id"],
        "answered": answered["posts"][0]["id"],
    }

    async def found(**params) -> set[int]:
        return set(await post_ids(client, course, course.carol, "albedo", **params))

    assert await found() == set(roots.values())
    assert await found(board=week1_id) == {roots["week1"]}
    assert await found(kind="question") == {roots["question"], roots["answered"]}
    assert await found(kind="discussion") == {roots["week1"]}
    assert await found(answered="true") == {roots["answered"]}
    assert await found(answered="false") == {roots["question"]}  # unanswered questions
    assert await found(kind="question", answered="false", board=week1_id) == set()


async def test_search_filters_by_date(forum, course, client, conn):
    old = await forum.thread(course.alice, title="Ozone then", body="ozone")
    new = await forum.thread(course.alice, title="Ozone now", body="ozone")
    await conn.execute(
        "UPDATE forum_posts SET created_at = created_at - interval '10 days' WHERE id = $1",
        old["posts"][0]["id"],
    )
    today = datetime.now(UTC).date()
    ten_days_ago = (today - timedelta(days=10)).isoformat()
    assert await post_ids(client, course, course.bob, "ozone", since=today.isoformat()) == [
        new["posts"][0]["id"]
    ]
    assert await post_ids(client, course, course.bob, "ozone", until=ten_days_ago) == [
        old["posts"][0]["id"]
    ]
    both = await post_ids(client, course, course.bob, "ozone", since=ten_days_ago, until=today)
    assert sorted(both) == sorted([old["posts"][0]["id"], new["posts"][0]["id"]])
    reversed_range = await client.get(
        f"/api/v1/courses/{course.id}/search",
        params={"q": "ozone", "since": today.isoformat(), "until": ten_days_ago},
        headers=course.bob.headers,
    )
    assert reversed_range.status_code == 400
    bad_date = await client.get(
        f"/api/v1/courses/{course.id}/search",
        params={"q": "ozone", "since": "yesterday"},
        headers=course.bob.headers,
    )
    assert bad_date.status_code == 400


async def test_author_filter_is_staff_only_and_keeps_anonymity(forum, course, client):
    named = await forum.thread(course.alice, title="Aerosols named", body="aerosols")
    to_peers = await forum.thread(
        course.alice, title="Aerosols peers", body="aerosols", anonymity="peers"
    )
    await forum.thread(course.alice, title="Aerosols all", body="aerosols", anonymity="all")
    await forum.thread(course.bob, title="Aerosols bob", body="aerosols")

    learner = await client.get(
        f"/api/v1/courses/{course.id}/search",
        params={"q": "aerosols", "author": "ali"},
        headers=course.bob.headers,
    )
    assert learner.status_code == 403
    assert learner.headers["content-type"] == "application/problem+json"

    # Staff see authors anonymous to peers, never those anonymous to all.
    by_alice = await post_ids(client, course, course.ta, "aerosols", author="ALI")
    assert sorted(by_alice) == sorted([named["posts"][0]["id"], to_peers["posts"][0]["id"]])
    assert await post_ids(client, course, course.ta, "aerosols", author="nobody") == []
    # An empty author is no filter, for learners too.
    assert len(await search(client, course, course.bob, "aerosols", author=" ")) == 4


async def test_bad_filter_values_are_400(client, course):
    for params in ({"kind": "poll"}, {"board": "x"}, {"board": "0"}, {"answered": "maybe"}):
        response = await client.get(
            f"/api/v1/courses/{course.id}/search",
            params={"q": "x", **params},
            headers=course.bob.headers,
        )
        assert response.status_code == 400, (params, response.text)
