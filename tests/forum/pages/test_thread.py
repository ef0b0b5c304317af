"""The thread page (forum.pages.thread): Markdown and math, the reply box, anonymity on the
page, read marks; out-of-range ids and bad cursors are 400 error pages."""

from __future__ import annotations

from forum.schemas import PostCreate
from forum.service import posts as posts_service
from tests.forum.pages.conftest import principal_of, ui


async def test_thread_page_renders_markdown_math_and_reply_box(client, course, question):
    response = await client.get(
        ui(course, f"/forum/threads/{question.id}"), headers=course.bob.headers
    )
    assert response.status_code == 200
    assert "<strong>oceans</strong>" in response.text
    assert 'class="math inline"' in response.text
    assert f'hx-post="/ui/courses/{course.id}/forum/threads/{question.id}/posts"' in response.text
    assert f'sse-connect="/api/v1/courses/{course.id}/events"' in response.text
    # Learners get no staff tools.
    assert "Moderate this thread" not in response.text


async def test_anonymous_post_hides_the_author_from_peers_but_not_staff(
    client, conn, redis, course, question
):
    alice = await principal_of(conn, course.alice)
    await posts_service.create_post(
        conn, redis, alice, question.id, PostCreate(body="Secret follow-up", anonymity="peers")
    )
    thread = ui(course, f"/forum/threads/{question.id}")
    as_bob = await client.get(thread, headers=course.bob.headers)
    follow_up = as_bob.text.split("Secret follow-up")[0].rsplit('class="post', 1)[1]
    assert "Anonymous" in follow_up and "Alice" not in follow_up
    as_instructor = await client.get(thread, headers=course.instructor.headers)
    follow_up = as_instructor.text.split("Secret follow-up")[0].rsplit('class="post', 1)[1]
    assert "Alice" in follow_up and "anonymous to peers" in follow_up


async def test_opening_a_thread_marks_what_was_shown_as_read(client, course, question):
    home = await client.get(ui(course, "/forum"), headers=course.bob.headers)
    assert "1 unread" in home.text
    await client.get(ui(course, f"/forum/threads/{question.id}"), headers=course.bob.headers)
    home = await client.get(ui(course, "/forum"), headers=course.bob.headers)
    assert "unread" not in home.text


def assert_html_error(response, status: int) -> None:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["content-type"].startswith("text/html")
    assert f'role="alert" data-status="{status}"' in response.text


async def test_a_thread_id_beyond_bigint_is_a_400_error_page(client, course, question):
    response = await client.get(
        ui(course, "/forum/threads/99999999999999999999"), headers=course.bob.headers
    )
    assert_html_error(response, 400)
    assert "<html" in response.text  # a whole page for a navigation
    fragment = await client.get(
        ui(course, f"/forum/threads/{question.id}/posts/99999999999999999999/reply"),
        headers=course.bob.headers | {"HX-Request": "true"},
    )
    assert_html_error(fragment, 400)
    assert "<html" not in fragment.text  # htmx shows it in place


async def test_a_bad_cursor_for_more_replies_is_a_400_error_page(client, course, question):
    response = await client.get(
        ui(course, f"/forum/threads/{question.id}/posts"),
        params={"cursor": "garbage!"},
        headers=course.bob.headers | {"HX-Request": "true"},
    )
    assert_html_error(response, 400)
