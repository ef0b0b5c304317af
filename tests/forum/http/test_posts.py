"""Posts through the JSON API: Markdown bodies that come back inert, the reply tree and its
depth cap, edits with revisions (who, when, why), the author's edit window, soft deletes."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest

from tests.conftest import create_course


async def test_author_edit_keeps_a_revision_with_who_when_why(forum, course, client):
    reply = await forum.reply(
        course.bob, (await forum.thread(course.alice))["thread"]["id"], body="v1"
    )
    response = await client.patch(
        f"/api/v1/posts/{reply['id']}",
        json={"body": "v2 *new*", "reason": "typo"},
        headers=course.bob.headers,
    )
    assert response.status_code == 200
    assert (
        response.json()["body_html"] == "<p>v2 <em>new</em></p>\n" and response.json()["edited_at"]
    )
    revisions = (
        await client.get(f"/api/v1/posts/{reply['id']}/revisions", headers=course.carol.headers)
    ).json()
    [rev] = revisions["items"]
    assert rev["body"] == "v1" and rev["reason"] == "typo" and rev["editor"]["name"] == "Bob"


async def test_only_author_or_staff_edit_and_staff_need_a_reason_code(forum, course, client):
    reply = await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    url = f"/api/v1/posts/{reply['id']}"
    assert (
        await client.patch(url, json={"body": "x"}, headers=course.carol.headers)
    ).status_code == 403
    assert (
        await client.patch(url, json={"body": "x"}, headers=course.ta.headers)
    ).status_code == 422
    response = await client.patch(
        url,
        json={"body": "x", "reason_code": "answer_leak", "reason": "no solutions"},
        headers=course.ta.headers,
    )
    assert response.status_code == 200
    log = (
        await client.get(
            f"/api/v1/courses/{course.id}/moderation/log", headers=course.instructor.headers
        )
    ).json()
    assert log["items"][0]["action"] == "post_edit"
    assert log["items"][0]["details"] == {"reason_code": "answer_leak"}


async def test_author_edit_window_closes(forum, course, client, conn):
    reply = await forum.reply(course.bob, (await forum.thread(course.alice))["thread"]["id"])
    await conn.execute(
        "UPDATE forum_posts SET created_at = created_at - $2::interval WHERE id = $1",
        reply["id"],
        timedelta(minutes=31),
    )
    response = await client.patch(
        f"/api/v1/posts/{reply['id']}", json={"body": "late"}, headers=course.bob.headers
    )
    assert response.status_code == 403 and "30 minutes" in response.json()["detail"]


async def test_soft_deleted_post_stays_as_placeholder(forum, course, client):
    thread_id = (await forum.thread(course.alice))["thread"]["id"]
    a = await forum.reply(course.bob, thread_id, body="secret words")
    child = await forum.reply(course.carol, thread_id, parent_id=a["id"])
    assert (
        await client.delete(f"/api/v1/posts/{a['id']}", headers=course.carol.headers)
    ).status_code == 403
    assert (
        await client.delete(f"/api/v1/posts/{a['id']}", headers=course.bob.headers)
    ).status_code == 204
    page = await forum.read(course.alice, thread_id)
    placeholder = page["posts"][1]
    assert placeholder["deleted"] and placeholder["body_html"] == "" and placeholder["body"] is None
    assert page["posts"][2]["id"] == child["id"]
    assert page["thread"]["reply_count"] == 1
    staff_view = await forum.read(course.ta, thread_id)
    assert "secret words" in staff_view["posts"][1]["body_html"]


async def test_deleting_the_opening_post_removes_the_thread_from_lists(forum, course, client):
    created = await forum.thread(course.alice)
    await client.delete(f"/api/v1/posts/{created['posts'][0]['id']}", headers=course.alice.headers)
    assert (await forum.list(course.bob))["items"] == []
    assert (
        await client.get(f"/api/v1/threads/{created['thread']['id']}", headers=course.bob.headers)
    ).status_code == 404


async def test_markdown_keeps_math_and_code_for_the_client(forum, course):
    body = "Energy $E = mc^2$ and\n\n```python\nprint('hi')\n```"
    html = (await forum.thread(course.alice, body=body))["posts"][0]["body_html"]
    assert '<span class="math inline">E = mc^2</span>' in html
    assert '<code class="language-python">' in html


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


async def test_reply_to_post_of_another_thread_is_404(forum, course, client):
    one = await forum.thread(course.alice)
    two = await forum.thread(course.bob)
    response = await client.post(
        f"/api/v1/threads/{one['thread']['id']}/posts",
        json={"body": "x", "parent_id": two["posts"][0]["id"]},
        headers=course.carol.headers,
    )
    assert response.status_code == 404


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
