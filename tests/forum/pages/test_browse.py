"""Pages to find one's way (forum.pages.browse): home, thread lists, new thread, similar
titles, search, notifications; sessions, other courses, French; 400 error pages for bad ids
and cursors."""

from __future__ import annotations

import re

import pytest

from agora.outbox import relay_pending
from agora.sessions import create_session
from forum.schemas import PostCreate, ThreadCreate
from forum.service import posts as posts_service
from forum.service import threads as threads_service
from tests.forum.pages.conftest import principal_of, ui


async def test_forum_home_lists_boards_with_unread_counts(client, course, question):
    response = await client.get(ui(course, "/forum"), headers=course.bob.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-page="forum-home"' in response.text
    assert re.search(r"1 unread", response.text)
    assert f'<meta name="agora-session" content="{course.bob.token}">' in response.text


async def test_pages_need_a_session(client, course):
    response = await client.get(ui(course, "/forum"))
    assert response.status_code == 401
    assert "Your session has ended" in response.text


async def test_another_courses_forum_is_not_found(client, course, other_course):
    response = await client.get(ui(other_course, "/forum"), headers=course.alice.headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


async def test_thread_list_shows_threads_and_filters_unanswered(client, course, question):
    response = await client.get(ui(course, "/forum/threads"), headers=course.bob.headers)
    assert response.status_code == 200
    assert "How does ocean heat uptake work?" in response.text
    assert "Unanswered" in response.text
    response = await client.get(
        ui(course, "/forum/threads?filter=mine"), headers=course.bob.headers
    )
    assert "How does ocean heat uptake work?" not in response.text
    assert "No threads match." in response.text


async def test_thread_list_scrolls_in_pages_of_rows(client, conn, redis, course):
    instructor = await principal_of(conn, course.instructor)
    for n in range(23):
        await threads_service.create_thread(
            conn, redis, instructor, course.id, ThreadCreate(title=f"Topic {n:02d}", body="x")
        )
    first = await client.get(ui(course, "/forum/threads?sort=new"), headers=course.bob.headers)
    assert "Topic 22" in first.text and "Topic 02" not in first.text
    more = re.search(r'hx-get="([^"]+cursor=[^"]+)" hx-trigger="revealed"', first.text)
    assert more, "the last row loads the next page when revealed"
    url = more.group(1).replace("&amp;", "&")
    rows = await client.get(url, headers=course.bob.headers | {"HX-Request": "true"})
    assert rows.status_code == 200
    assert "<html" not in rows.text
    assert "Topic 02" in rows.text and "Topic 22" not in rows.text


async def test_new_thread_form_posts_and_lands_on_the_thread(client, course):
    form = await client.get(ui(course, "/forum/new"), headers=course.alice.headers)
    assert form.status_code == 200
    assert f'hx-get="/ui/courses/{course.id}/forum/similar"' in form.text
    board_id = re.search(r'<option value="(\d+)" selected>', form.text).group(1)
    response = await client.post(
        ui(course, "/forum/threads"),
        data={"title": "Albedo of ice", "body": "Why so high?", "kind": "question",
              "board_id": board_id, "anonymity": "none"},
        headers=course.alice.headers | {"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    assert re.fullmatch(r"/ui/courses/\d+/forum/threads/\d+", response.headers["HX-Push-Url"])
    assert "<h1>Albedo of ice</h1>" in response.text


async def test_new_thread_with_an_empty_title_is_a_clear_400_fragment(client, course):
    response = await client.post(
        ui(course, "/forum/threads"),
        data={"title": "", "body": "x"},
        headers=course.alice.headers | {"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "title" in response.text


async def test_similar_threads_are_suggested_while_typing(client, course, question):
    response = await client.get(
        ui(course, "/forum/similar?title=ocean heat uptake"), headers=course.bob.headers
    )
    assert response.status_code == 200
    assert "How does ocean heat uptake work?" in response.text


async def test_search_highlights_matches(client, course, question):
    response = await client.get(ui(course, "/forum/search?q=oceans"), headers=course.bob.headers)
    assert response.status_code == 200
    assert "<mark>" in response.text
    assert "How does ocean heat uptake work?" in response.text


async def test_notifications_page_lists_replies_to_my_post(
    client, conn, redis, database, course, question, run_jobs
):
    bob = await principal_of(conn, course.bob)
    await posts_service.create_post(conn, redis, bob, question.id, PostCreate(body="Answer!"))
    await relay_pending(database, redis)
    await run_jobs()
    response = await client.get(ui(course, "/notifications"), headers=course.alice.headers)
    assert response.status_code == 200
    assert "How does ocean heat uptake work?" in response.text
    assert "Bob" in response.text


async def test_forum_pages_render_in_french(client, conn, course, question):
    token = await create_session(
        conn, user_id=course.bob.user_id, course_id=course.id, role="learner",
        ttl_seconds=600, locale="fr-FR",
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    for path, expected in [
        ("/forum", "Nouveau fil"),
        ("/forum/threads", "Trier par"),
        (f"/forum/threads/{question.id}", "Votre réponse"),
        ("/forum/new", "Publier le fil"),
        ("/forum/search", "Rechercher dans le forum"),
        ("/notifications", "Rien de nouveau"),
    ]:
        response = await client.get(ui(course, path), headers=headers)
        assert response.status_code == 200, path
        assert '<html lang="fr">' in response.text, path
        assert expected in response.text, path


@pytest.mark.parametrize(
    "path",
    [
        "/forum/threads?cursor=garbage!",
        "/forum/threads?cursor=" + "a" * 501,
        "/forum/boards/99999999999999999999",
        "/forum/new?board=99999999999999999999",
        "/forum/search?q=ocean&cursor=garbage!",
        "/notifications?cursor=garbage!",
    ],
)
async def test_bad_ids_and_cursors_are_400_error_pages(client, course, question, path):
    response = await client.get(ui(course, path), headers=course.bob.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert" data-status="400"' in response.text


async def test_only_staff_get_the_flagged_filter(client, course, question):
    url = ui(course, "/forum/threads")
    option = '<option value="flagged"'
    assert option not in (await client.get(url, headers=course.bob.headers)).text
    assert option in (await client.get(url, headers=course.ta.headers)).text
