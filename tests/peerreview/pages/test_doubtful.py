"""The doubtful-grades queue, overrides and regrade answers are staff pages: learners get the
HTML 403 page; staff answer a regrade request there (en/fr) and its author reads the answer."""

from __future__ import annotations

from agora.sessions import create_session
from tests.peerreview.http.test_regrades import released_with_request
from tests.peerreview.pages.helpers import HTMX, create_assignment, ui


async def test_learners_cannot_open_the_doubtful_queue(client, course):
    url = await create_assignment(client, course)
    response = await client.get(url + "/doubtful", headers=course.alice.headers)
    assert response.status_code == 403
    assert 'data-status="403"' in response.text


async def test_staff_see_an_empty_queue_before_grading(client, course):
    url = await create_assignment(client, course)
    response = await client.get(url + "/doubtful", headers=course.ta.headers)
    assert response.status_code == 200
    assert 'data-page="doubtful-grades"' in response.text and "No doubtful grades." in response.text


async def test_learners_cannot_override_a_grade(client, course):
    await create_assignment(client, course)
    response = await client.post(
        ui(course, "/grades/1/override"),
        data={"score": "5", "reason": "mine"},
        headers=course.alice.headers | HTMX,
    )
    assert response.status_code == 403
    assert 'data-status="403"' in response.text


def french(conn, member, course, role):
    return create_session(
        conn, user_id=member.user_id, course_id=course.id, role=role, ttl_seconds=600, locale="fr"
    )


async def test_staff_answer_a_regrade_from_the_page_and_the_learner_reads_it(
    client, conn, database, redis, run_jobs
):
    course, aid, author, sub, req = await released_with_request(
        client, conn, database, redis, run_jobs, reason="My sources were right."
    )
    page = await client.get(ui(course, f"/assignments/{aid}/doubtful"),
                            headers=course.ta.headers)  # fmt: skip
    assert 'data-regrade-state="open"' in page.text and "Waiting for an answer" in page.text
    assert f'hx-post="/ui/courses/{course.id}/regrades/{req["id"]}/answer"' in page.text
    answered = await client.post(
        ui(course, f"/regrades/{req['id']}/answer"),
        data={"decision": "reject", "reason": "Both reviews read your sources."},
        headers=course.ta.headers | HTMX,
    )
    assert answered.status_code == 200, answered.text
    assert "Rejected" in answered.text and "Both reviews read your sources." in answered.text
    again = await client.post(
        ui(course, f"/regrades/{req['id']}/answer"),
        data={"decision": "accept", "score": "9", "reason": "Changed my mind"},
        headers=course.ta.headers | HTMX,
    )
    assert again.status_code == 409
    grade_url = ui(course, f"/assignments/{aid}/grade")
    grade = await client.get(grade_url, headers=author.headers)
    assert "data-regrade-answer" in grade.text and 'data-regrade-state="rejected"' in grade.text
    assert "Staff answer: Both reviews read your sources." in grade.text
    token = await french(conn, author, course, "learner")
    fr = await client.get(grade_url, headers={"Authorization": f"Bearer {token}"})
    assert '<html lang="fr">' in fr.text
    assert "Refusée" in fr.text and "Réponse de l’équipe :" in fr.text


async def test_accepting_from_the_page_sets_the_grade_the_learner_sees(
    client, conn, database, redis, run_jobs
):
    course, aid, author, sub, req = await released_with_request(
        client, conn, database, redis, run_jobs
    )
    token = await french(conn, course.instructor, course, "instructor")
    staff = {"Authorization": f"Bearer {token}"}
    page = await client.get(ui(course, f"/assignments/{aid}/doubtful"), headers=staff)
    assert "En attente de réponse" in page.text and "Accepter" in page.text
    answered = await client.post(
        ui(course, f"/regrades/{req['id']}/answer"),
        data={"decision": "accept", "score": "8,5", "reason": "Point 2 was right."},
        headers=staff | HTMX,
    )
    assert answered.status_code == 200, answered.text
    assert "Acceptée" in answered.text
    grade = await client.get(ui(course, f"/assignments/{aid}/grade"), headers=author.headers)
    assert 'data-regrade-state="accepted"' in grade.text and "data-overridden" in grade.text
    assert "8.5" in grade.text and "Point 2 was right." in grade.text
    # answered requests leave the staff's list
    page = await client.get(ui(course, f"/assignments/{aid}/doubtful"), headers=staff)
    assert f'data-regrade="{req["id"]}"' not in page.text


async def test_learners_cannot_answer_from_the_page(client, conn, database, redis, run_jobs):
    course, aid, author, sub, req = await released_with_request(
        client, conn, database, redis, run_jobs
    )
    response = await client.post(
        ui(course, f"/regrades/{req['id']}/answer"),
        data={"decision": "accept", "score": "10", "reason": "Please"},
        headers=author.headers | HTMX,
    )
    assert response.status_code == 403
