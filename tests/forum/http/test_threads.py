"""Threads through the JSON API: create and read (posts in keyset pages), the course's list
(sorts, filters, pinned first), title edits, post-first, and read tracking (unread counts per
thread and per board stay right after every change)."""

from __future__ import annotations

import asyncio


async def test_learner_creates_thread_and_reads_it_back(forum, course):
    created = await forum.thread(
        course.alice, title="Why is CO2 a greenhouse gas?", body="**bold**"
    )
    assert created["thread"]["title"] == "Why is CO2 a greenhouse gas?"
    assert created["posts"][0]["body_html"] == "<p><strong>bold</strong></p>\n"
    page = await forum.read(course.bob, created["thread"]["id"])
    assert page["thread"]["author"]["name"] == "Alice"
    assert page["thread"]["reply_count"] == 0


async def test_xss_in_title_is_stripped_to_text(forum, course):
    created = await forum.thread(
        course.alice, title='<script>alert(1)</script>Hi <b onmouseover="x">'
    )
    assert created["thread"]["title"] == "alert(1)Hi"


async def test_thread_page_paginates_by_cursor_without_gaps(forum, course):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    ids = [(await forum.reply(course.bob, thread_id, body=f"r{i}"))["id"] for i in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = await forum.read(course.carol, thread_id, **params)
        seen += [p["id"] for p in page["posts"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[1:] == ids


async def test_thread_page_issues_the_same_number_of_queries_whatever_its_size(
    forum, course, client, conn
):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    counts = []
    for replies in (1, 30):
        while (await forum.read(course.bob, thread_id))["thread"]["reply_count"] < replies:
            await forum.reply(course.carol, thread_id)
        queries = []

        def log(record, queries=queries):
            queries.append(record.query)

        conn.add_query_logger(log)
        try:
            response = await client.get(
                f"/api/v1/threads/{thread_id}", params={"limit": 100}, headers=course.bob.headers
            )
            await asyncio.sleep(0)  # asyncpg calls loggers soon after, not during, the query
        finally:
            conn.remove_query_logger(log)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == 4  # session, thread head, one page of posts, its files


async def test_bad_input_is_a_clear_4xx(forum, course, client):
    url = f"/api/v1/courses/{course.id}/threads"
    h = course.alice.headers
    assert (await client.post(url, json={"title": "", "body": "x"}, headers=h)).status_code == 400
    assert (
        await client.post(url, json={"title": "t", "body": "x", "nope": 1}, headers=h)
    ).status_code == 400
    assert (
        await client.post(url, json={"title": "t", "body": "x" * 50_001}, headers=h)
    ).status_code == 400
    assert (
        await client.post(url, json={"title": "t", "body": "x", "kind": "poll"}, headers=h)
    ).status_code == 400
    assert (await client.get(url, params={"limit": 1000}, headers=h)).status_code == 400
    assert (await client.get(url, params={"cursor": "garbage!"}, headers=h)).status_code == 400
    assert (await client.get(url, params={"filter": "bogus"}, headers=h)).status_code == 400
    assert (await client.get(url, params={"sort": "random"}, headers=h)).status_code == 400
    assert (await client.get(url)).status_code == 401
    response = await client.post(
        url, content=b"{not json", headers=h | {"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_thread_list_sorts_and_keyset_pages(forum, course):
    t1 = (await forum.thread(course.alice, title="first"))["thread"]["id"]
    t2 = (await forum.thread(course.bob, title="second"))["thread"]["id"]
    t3 = (await forum.thread(course.carol, title="third"))["thread"]["id"]
    await forum.reply(course.bob, t1)
    await forum.reply(course.carol, t1)
    await forum.reply(course.alice, t2)  # the latest activity
    activity = [t["id"] for t in (await forum.list(course.alice))["items"]]
    assert activity == [t2, t1, t3]
    new = [t["id"] for t in (await forum.list(course.alice, sort="new"))["items"]]
    assert new == [t3, t2, t1]
    replies = [t["id"] for t in (await forum.list(course.alice, sort="replies"))["items"]]
    assert replies == [t1, t2, t3]
    page1 = await forum.list(course.alice, sort="new", limit=2)
    page2 = await forum.list(course.alice, sort="new", limit=2, cursor=page1["next_cursor"])
    assert [t["id"] for t in page1["items"] + page2["items"]] == [t3, t2, t1]
    assert page2["next_cursor"] is None


async def test_pinned_threads_come_first(forum, course, client):
    t1 = (await forum.thread(course.alice, title="old"))["thread"]["id"]
    await forum.thread(course.bob, title="new")
    response = await client.post(
        f"/api/v1/threads/{t1}/state", json={"action": "pin"}, headers=course.ta.headers
    )
    assert response.status_code == 200 and response.json()["thread"]["pinned"]
    assert (await forum.list(course.carol))["items"][0]["id"] == t1


async def test_filters_kind_mine_unresponded_following(forum, course, client):
    q = (await forum.thread(course.alice, title="q", kind="question"))["thread"]["id"]
    d = (await forum.thread(course.bob, title="d", kind="discussion"))["thread"]["id"]
    n = (await forum.thread(course.bob, title="n", kind="notes"))["thread"]["id"]
    await forum.reply(course.carol, d)
    ids = lambda page: {t["id"] for t in page["items"]}  # noqa: E731
    assert ids(await forum.list(course.alice, kind="question")) == {q}
    assert ids(await forum.list(course.bob, filter="mine")) == {d, n}
    assert ids(await forum.list(course.alice, filter="unresponded")) == {q, n}
    assert ids(await forum.list(course.carol, filter="following")) == {d}  # auto-followed reply
    await client.put(f"/api/v1/threads/{n}/follow", headers=course.carol.headers)
    assert ids(await forum.list(course.carol, filter="following")) == {d, n}
    await client.delete(f"/api/v1/threads/{d}/follow", headers=course.carol.headers)
    assert ids(await forum.list(course.carol, filter="following")) == {n}
    board = (await forum.list(course.alice))["items"][0]["board_id"]
    assert ids(await forum.list(course.alice, board=board)) == {q, d, n}
    assert (
        await client.get(
            f"/api/v1/courses/{course.id}/threads",
            params={"filter": "flagged"},
            headers=course.alice.headers,
        )
    ).status_code == 403


async def test_thread_title_edit_changes_list_and_search(forum, course, client):
    thread_id = (await forum.thread(course.alice, title="Old title"))["thread"]["id"]
    response = await client.patch(
        f"/api/v1/threads/{thread_id}",
        json={"title": "Permafrost thaw"},
        headers=course.alice.headers,
    )
    assert response.json()["thread"]["title"] == "Permafrost thaw"
    hits = (
        await client.get(
            f"/api/v1/courses/{course.id}/search",
            params={"q": "permafrost"},
            headers=course.bob.headers,
        )
    ).json()
    assert [h["thread_id"] for h in hits["items"]] == [thread_id]


async def test_post_before_you_see_replies(forum, course, client):
    thread_id = (await forum.thread(course.instructor, title="Your view?", post_first=True))[
        "thread"
    ]["id"]
    await forum.reply(course.alice, thread_id, body="alice's view")
    before = await forum.read(course.bob, thread_id)
    assert before["replies_hidden_until_you_post"] and len(before["posts"]) == 1
    hits = (
        await client.get(
            f"/api/v1/courses/{course.id}/search", params={"q": "view"}, headers=course.bob.headers
        )
    ).json()
    assert all(h["post_id"] == before["posts"][0]["id"] for h in hits["items"])
    await forum.reply(course.bob, thread_id, body="bob's view")
    after = await forum.read(course.bob, thread_id)
    assert not after["replies_hidden_until_you_post"] and len(after["posts"]) == 3
    assert len((await forum.read(course.ta, thread_id))["posts"]) == 3


async def unread(forum, who, thread_id):
    items = {t["id"]: t for t in (await forum.list(who))["items"]}
    return items[thread_id]["unread_count"]


async def board_unread(client, course, who):
    boards = (await client.get(f"/api/v1/courses/{course.id}/boards", headers=who.headers)).json()
    return boards["items"][0]["unread_threads"]


async def test_unread_counts_follow_posts_reads_edits_and_deletes(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    assert await unread(forum, course.alice, thread_id) == 0  # own thread
    assert await unread(forum, course.bob, thread_id) == 1  # never opened
    assert await board_unread(client, course, course.bob) == 1
    await client.put(f"/api/v1/threads/{thread_id}/read", headers=course.bob.headers)
    assert await unread(forum, course.bob, thread_id) == 0
    assert await board_unread(client, course, course.bob) == 0

    r1 = await forum.reply(course.carol, thread_id)
    r2 = await forum.reply(course.carol, thread_id)
    assert await unread(forum, course.bob, thread_id) == 2
    assert await board_unread(client, course, course.bob) == 1
    assert [p["unread"] for p in (await forum.read(course.bob, thread_id))["posts"]] == [
        False,
        True,
        True,
    ]

    await client.patch(
        f"/api/v1/posts/{r1['id']}", json={"body": "edited"}, headers=course.carol.headers
    )
    assert await unread(forum, course.bob, thread_id) == 2  # an edit is not a new post

    await client.delete(f"/api/v1/posts/{r2['id']}", headers=course.carol.headers)
    assert await unread(forum, course.bob, thread_id) == 1  # deleted posts are not unread

    await client.post(
        f"/api/v1/posts/{r1['id']}/hide", json={"reason": "off topic"}, headers=course.ta.headers
    )
    assert await unread(forum, course.bob, thread_id) == 0
    assert await board_unread(client, course, course.bob) == 0
    assert (await forum.list(course.bob, filter="unread"))["items"] == []

    await client.post(
        f"/api/v1/posts/{r1['id']}/restore", json={"reason": "ok"}, headers=course.ta.headers
    )
    assert await unread(forum, course.bob, thread_id) == 1
    assert [t["id"] for t in (await forum.list(course.bob, filter="unread"))["items"]] == [
        thread_id
    ]


async def test_own_reply_does_not_make_thread_unread(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await client.put(f"/api/v1/threads/{thread_id}/read", headers=course.bob.headers)
    await forum.reply(course.bob, thread_id)
    assert await unread(forum, course.bob, thread_id) == 0
    assert (await forum.list(course.bob, filter="unread"))["items"] == []


async def test_own_reply_keeps_earlier_unread_posts_unread(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    await client.put(f"/api/v1/threads/{thread_id}/read", headers=course.bob.headers)
    await forum.reply(course.carol, thread_id)
    await forum.reply(course.bob, thread_id)
    assert await unread(forum, course.bob, thread_id) == 1


async def test_mark_read_up_to_a_sequence_number(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    for _ in range(3):
        await forum.reply(course.carol, thread_id)
    response = await client.put(
        f"/api/v1/threads/{thread_id}/read", json={"seq": 2}, headers=course.bob.headers
    )
    assert response.json() == {"thread_id": thread_id, "read_seq": 2}
    assert await unread(forum, course.bob, thread_id) == 2
    page = await forum.read(course.bob, thread_id)
    assert page["read_seq"] == 2 and page["thread"]["unread_count"] == 2
