"""The edit history on the thread page (issue 12.2): a leak removed by staff is not in learners'
history, staff redact a revision from there, and reason codes read as words in both languages."""

from __future__ import annotations

from agora.sessions import create_session
from forum.schemas import PostCreate, PostUpdate
from forum.service import posts as posts_service
from tests.forum.pages.conftest import principal_of, ui

# A word no timestamp, id or attribute can contain by chance (a bare "42" once matched a time).
SECRET = "quarantedeux"


async def _edited_reply(conn, redis, course, thread_id, *, reason_code):
    bob, ta = await principal_of(conn, course.bob), await principal_of(conn, course.ta)
    reply = await posts_service.create_post(
        conn, redis, bob, thread_id, PostCreate(body=f"The answer to Q3 is {SECRET}")
    )
    await posts_service.edit_post(
        conn, redis, ta, reply.id, PostUpdate(body="[removed]", reason_code=reason_code)
    )
    return reply.id


async def test_learners_history_hides_a_leak_staff_can_redact(
    client, conn, redis, course, question
):
    post_id = await _edited_reply(conn, redis, course, question.id, reason_code="answer_leak")
    history = ui(course, f"/forum/threads/{question.id}/posts/{post_id}/history")
    learner = await client.get(history, headers=course.carol.headers)
    assert learner.status_code == 200
    assert SECRET not in learner.text and "removed by the course staff" in learner.text
    assert "Answer leak" in learner.text and "answer_leak<" not in learner.text
    assert "/redact" not in learner.text
    staff = await client.get(history, headers=course.ta.headers)
    assert f"The answer to Q3 is {SECRET}" in staff.text and "/redact" in staff.text


async def test_staff_redact_from_the_history(client, conn, redis, course, question):
    post_id = await _edited_reply(conn, redis, course, question.id, reason_code="typo")
    history = ui(course, f"/forum/threads/{question.id}/posts/{post_id}/history")
    assert (
        f"The answer to Q3 is {SECRET}"
        in (await client.get(history, headers=course.carol.headers)).text
    )
    revision_id = await conn.fetchval(
        "SELECT id FROM forum_revisions WHERE course_id = $1 AND post_id = $2", course.id, post_id
    )
    url = ui(course, f"/forum/threads/{question.id}/posts/{post_id}/revisions/{revision_id}/redact")
    done = await client.post(url, data={"reason": "exam answer"}, headers=course.ta.headers)
    assert done.status_code == 200 and "exam answer" in done.text
    assert (
        f"The answer to Q3 is {SECRET}"
        not in (await client.get(history, headers=course.carol.headers)).text
    )


async def _french(conn, course, member, role):
    token = await create_session(
        conn, user_id=member.user_id, course_id=course.id, role=role, ttl_seconds=600,
        locale="fr",
    )  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


async def test_reason_codes_read_as_words_in_french(client, conn, redis, course, question):
    post_id = await _edited_reply(conn, redis, course, question.id, reason_code="answer_leak")
    page = await client.get(
        ui(course, f"/forum/threads/{question.id}/posts/{post_id}/history"),
        headers=await _french(conn, course, course.carol, "learner"),
    )
    assert "Divulgation de réponse" in page.text and "retiré par l’équipe du cours" in page.text
    log = await client.get(
        ui(course, "/moderation/log"), headers=await _french(conn, course, course.ta, "ta")
    )
    assert "A modifié un message" in log.text and "Divulgation de réponse" in log.text
