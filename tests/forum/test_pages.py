"""Forum pages rendered by the server: status, key content, anonymity, actions, French."""

from __future__ import annotations

import re

import msgspec
import pytest

from agora.outbox import relay_pending
from agora.sessions import create_session, select_principal
from forum import service
from forum.schemas import PostCreate, ThreadCreate


async def principal_of(conn, member):
    return await select_principal(conn, member.token)


@pytest.fixture
async def question(conn, redis, course):
    alice = await principal_of(conn, course.alice)
    read = await service.create_thread(
        conn,
        redis,
        alice,
        course.id,
        ThreadCreate(
            title="How does ocean heat uptake work?",
            body="I read that **oceans** absorb heat. Is $Q = mc\\Delta T$ right?",
            kind="question",
        ),
    )
    return read.thread


def ui(course, path=""):
    return f"/ui/courses/{course.id}{path}"


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
        await service.create_thread(
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


async def test_reply_endorse_and_accept_through_the_page(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    htmx = {"HX-Request": "true"}
    response = await client.post(
        thread + "/posts", data={"body": "Yes, per unit mass."}, headers=course.bob.headers | htmx
    )
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="thread-live"' in response.text
    assert "Yes, per unit mass." in response.text
    post_id = int(re.findall(r'data-post-id="(\d+)"', response.text)[-1])

    as_ta = await client.get(thread, headers=course.ta.headers)
    assert f"/posts/{post_id}/endorse" in as_ta.text
    endorsed = await client.post(
        f"{thread}/posts/{post_id}/endorse", data={"endorsed": "1"}, headers=course.ta.headers
    )
    assert "Endorsed by staff" in endorsed.text

    as_alice = await client.get(thread, headers=course.alice.headers)
    assert f"/posts/{post_id}/accept" in as_alice.text
    assert f"/posts/{post_id}/endorse" not in as_alice.text
    accepted = await client.post(
        f"{thread}/posts/{post_id}/accept", data={"accepted": "1"}, headers=course.alice.headers
    )
    assert "Accepted answer" in accepted.text and "Answered" in accepted.text


async def test_vote_toggles_and_is_pressed(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    page = await client.get(thread, headers=course.bob.headers)
    post_id = re.search(r'data-post-id="(\d+)"', page.text).group(1)
    voted = await client.post(
        f"{thread}/posts/{post_id}/vote", data={"value": "1"}, headers=course.bob.headers
    )
    assert voted.status_code == 200
    assert 'aria-pressed="true"' in voted.text and "▲ 1" in voted.text


async def test_anonymous_post_hides_the_author_from_peers_but_not_staff(
    client, conn, redis, course, question
):
    alice = await principal_of(conn, course.alice)
    await service.create_post(
        conn, redis, alice, question.id, PostCreate(body="Secret follow-up", anonymity="peers")
    )
    thread = ui(course, f"/forum/threads/{question.id}")
    as_bob = await client.get(thread, headers=course.bob.headers)
    follow_up = as_bob.text.split("Secret follow-up")[0].rsplit('class="post', 1)[1]
    assert "Anonymous" in follow_up and "Alice" not in follow_up
    as_instructor = await client.get(thread, headers=course.instructor.headers)
    follow_up = as_instructor.text.split("Secret follow-up")[0].rsplit('class="post', 1)[1]
    assert "Alice" in follow_up and "anonymous to peers" in follow_up


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
    await service.create_post(conn, redis, bob, question.id, PostCreate(body="Answer!"))
    await relay_pending(database, redis)
    await run_jobs()
    response = await client.get(ui(course, "/notifications"), headers=course.alice.headers)
    assert response.status_code == 200
    assert "How does ocean heat uptake work?" in response.text
    assert "Bob" in response.text


async def test_moderation_is_staff_only_and_lists_flagged_posts(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    page = await client.get(thread, headers=course.bob.headers)
    post_id = re.search(r'data-post-id="(\d+)"', page.text).group(1)
    flagged = await client.post(
        f"{thread}/posts/{post_id}/flag", data={"reason": "spam"}, headers=course.bob.headers
    )
    assert "Staff will look at this post" in flagged.text

    denied = await client.get(ui(course, "/moderation"), headers=course.bob.headers)
    assert denied.status_code == 403
    queue = await client.get(ui(course, "/moderation"), headers=course.ta.headers)
    assert queue.status_code == 200
    assert "How does ocean heat uptake work?" in queue.text and "spam" in queue.text
    resolved = await client.post(
        ui(course, f"/moderation/posts/{post_id}/resolve"),
        data={"action": "dismiss"},
        headers=course.ta.headers,
    )
    assert "Flags dismissed." in resolved.text


async def test_staff_mute_a_learner_from_the_learners_page(client, course, question):
    page = await client.get(ui(course, "/moderation/learners"), headers=course.instructor.headers)
    assert page.status_code == 200
    assert "Alice" in page.text and "participation" in page.text
    muted = await client.post(
        ui(course, f"/moderation/members/{course.alice.user_id}/restrict"),
        data={"kind": "mute", "duration_hours": "24"},
        headers=course.instructor.headers,
    )
    assert muted.status_code == 200 and "Muted" in muted.text
    thread = await client.get(
        ui(course, f"/forum/threads/{question.id}"), headers=course.alice.headers
    )
    assert 'class="reply-box"' not in thread.text


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


async def test_launch_lands_on_the_linked_thread_board_or_forum(conn, course, question):
    from agora.web import launch_response

    bob = await principal_of(conn, course.bob)

    async def landed(target: dict) -> str:
        principal = msgspec.structs.replace(bob, target=target)
        return (await launch_response(conn, principal, course.bob.token)).content

    thread = await landed({"kind": "thread", "id": question.id})
    assert 'data-page="thread"' in thread and "How does ocean heat uptake work?" in thread
    assert f'data-ui-url="/ui/courses/{course.id}/forum/threads/{question.id}"' in thread
    board = await landed({"kind": "board", "id": question.board_id})
    assert 'data-page="thread-list"' in board
    assert 'data-page="forum-home"' in await landed({"kind": "forum"})
    # A link to a thread that is gone lands on the forum home rather than an error.
    assert 'data-page="forum-home"' in await landed({"kind": "thread", "id": 999_999_999})


async def test_opening_a_thread_marks_what_was_shown_as_read(client, course, question):
    home = await client.get(ui(course, "/forum"), headers=course.bob.headers)
    assert "1 unread" in home.text
    await client.get(ui(course, f"/forum/threads/{question.id}"), headers=course.bob.headers)
    home = await client.get(ui(course, "/forum"), headers=course.bob.headers)
    assert "unread" not in home.text
