"""Boards, threads and the nested post tree through the JSON API."""

from __future__ import annotations

import asyncio
from html.parser import HTMLParser

import pytest

from tests.conftest import create_course


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """No element or attribute in the HTML can run script or restyle the page (escaped text is
    fine: the browser shows it as text)."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert tag not in {"script", "svg", "style", "iframe", "object", "math"}, html
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", html
            if name in {"href", "src"}:
                assert value.strip().lower().startswith(("http:", "https:", "mailto:")), html


async def test_learner_creates_thread_and_reads_it_back(forum, course):
    created = await forum.thread(
        course.alice, title="Why is CO2 a greenhouse gas?", body="**bold**"
    )
    assert created["thread"]["title"] == "Why is CO2 a greenhouse gas?"
    assert created["posts"][0]["body_html"] == "<p><strong>bold</strong></p>\n"
    page = await forum.read(course.bob, created["thread"]["id"])
    assert page["thread"]["author"]["name"] == "Alice"
    assert page["thread"]["reply_count"] == 0


async def test_markdown_keeps_math_and_code_for_the_client(forum, course):
    body = "Energy $E = mc^2$ and\n\n```python\nprint('hi')\n```"
    html = (await forum.thread(course.alice, body=body))["posts"][0]["body_html"]
    assert '<span class="math inline">E = mc^2</span>' in html
    assert '<code class="language-python">' in html


XSS_BODIES = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
]


@pytest.mark.parametrize("payload", XSS_BODIES)
async def test_xss_payloads_in_bodies_come_back_inert(forum, course, payload):
    created = await forum.thread(course.alice, body=payload)
    reply = await forum.reply(course.bob, created["thread"]["id"], body=payload)
    for html in (created["posts"][0]["body_html"], reply["body_html"]):
        assert_inert(html)


async def test_xss_in_title_is_stripped_to_text(forum, course):
    created = await forum.thread(
        course.alice, title='<script>alert(1)</script>Hi <b onmouseover="x">'
    )
    assert created["thread"]["title"] == "alert(1)Hi"


async def test_links_get_nofollow_ugc_noopener(forum, course):
    created = await forum.thread(course.alice, body="see [this](https://example.org)")
    assert 'rel="nofollow ugc noopener"' in created["posts"][0]["body_html"]


async def test_replies_nest_in_tree_order_with_display_depth_capped(forum, course):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    a = await forum.reply(course.bob, thread_id, body="a")
    b = await forum.reply(course.carol, thread_id, body="b")
    a1 = await forum.reply(course.alice, thread_id, body="a1", parent_id=a["id"])
    a11 = await forum.reply(course.bob, thread_id, body="a11", parent_id=a1["id"])
    a111 = await forum.reply(course.carol, thread_id, body="a111", parent_id=a11["id"])
    page = await forum.read(course.bob, thread_id)
    order = [p["id"] for p in page["posts"][1:]]
    assert order == [a["id"], a1["id"], a11["id"], a111["id"], b["id"]]
    deepest = page["posts"][4]
    assert deepest["depth"] == 4 and deepest["display_depth"] == 3  # course default cap
    assert deepest["parent_id"] == a11["id"]  # never re-parented
    assert page["thread"]["reply_count"] == 5


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
    assert counts[0] == counts[1] == 3  # session, thread head, one page of posts


async def test_other_course_threads_and_posts_are_404(forum, course, other_course, client):
    created = await forum.thread(course.alice)
    thread_id, post_id = created["thread"]["id"], created["posts"][0]["id"]
    outsider = other_course.alice.headers
    for method, url in [
        ("GET", f"/api/v1/threads/{thread_id}"),
        ("GET", f"/api/v1/posts/{post_id}"),
        ("GET", f"/api/v1/courses/{course.id}/threads"),
        ("GET", f"/api/v1/courses/{course.id}/boards"),
        ("GET", f"/api/v1/courses/{course.id}/search?q=week"),
    ]:
        response = await client.request(method, url, headers=outsider)
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"
    response = await client.post(
        f"/api/v1/threads/{thread_id}/posts", json={"body": "x"}, headers=outsider
    )
    assert response.status_code == 404
    response = await client.put(
        f"/api/v1/posts/{post_id}/vote", json={"value": 1}, headers=outsider
    )
    assert response.status_code == 404


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


async def test_reply_to_post_of_another_thread_is_404(forum, course, client):
    one = await forum.thread(course.alice)
    two = await forum.thread(course.bob)
    response = await client.post(
        f"/api/v1/threads/{one['thread']['id']}/posts",
        json={"body": "x", "parent_id": two["posts"][0]["id"]},
        headers=course.carol.headers,
    )
    assert response.status_code == 404


async def test_default_board_exists_and_instructors_manage_boards(forum, course, client):
    url = f"/api/v1/courses/{course.id}/boards"
    boards = (await client.get(url, headers=course.alice.headers)).json()["items"]
    assert [b["name"] for b in boards] == ["General"] and boards[0]["is_default"]
    assert (
        await client.post(url, json={"name": "Week 1"}, headers=course.alice.headers)
    ).status_code == 403
    assert (
        await client.post(url, json={"name": "Week 1"}, headers=course.ta.headers)
    ).status_code == 403
    week1 = (
        await client.post(
            url, json={"name": "Week 1", "position": 1}, headers=course.instructor.headers
        )
    ).json()
    renamed = await client.patch(
        f"{url}/{week1['id']}",
        json={"name": "Week one", "archived": True},
        headers=course.instructor.headers,
    )
    assert renamed.json()["name"] == "Week one" and renamed.json()["archived"]
    learner_view = (await client.get(url, headers=course.alice.headers)).json()["items"]
    assert [b["name"] for b in learner_view] == ["General"]  # archived boards hidden from learners
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "t", "body": "b", "board_id": week1["id"]},
        headers=course.alice.headers,
    )
    assert response.status_code == 409  # no new threads in an archived board
    default = boards[0]["id"]
    response = await client.patch(
        f"{url}/{default}", json={"archived": True}, headers=course.instructor.headers
    )
    assert response.status_code == 409


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


async def test_depth_cap_follows_course_setting(conn, client):
    course = await create_course(
        conn, settings_json={"forum": {"max_depth": 1, "post_interval_seconds": 0}}
    )
    from tests.forum.conftest import Forum

    forum = Forum(client, course)
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    a = await forum.reply(course.bob, thread_id)
    b = await forum.reply(course.alice, thread_id, parent_id=a["id"])
    assert (b["depth"], b["display_depth"]) == (2, 1)


async def test_out_of_range_ids_are_404_or_400_never_500(forum, course, client):
    h = course.alice.headers
    huge = 10**20
    for url in (f"/api/v1/threads/{huge}", f"/api/v1/posts/{huge}", f"/api/v1/threads/{-1}"):
        response = await client.get(url, headers=h)
        assert response.status_code in (400, 404), (url, response.status_code)
    response = await client.get(
        f"/api/v1/courses/{course.id}/threads", params={"board": huge}, headers=h
    )
    assert response.status_code in (400, 404)
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "t", "body": "b", "board_id": huge},
        headers=h,
    )
    assert response.status_code in (400, 404)
