"""The assignments list and assignment page: French rendering and what a launch shows."""

from __future__ import annotations

from agora.sessions import create_session
from tests.peerreview.pages.helpers import HTMX, RUBRIC_FORM, create_assignment, ui


async def test_peer_review_pages_render_in_french(client, conn, course):
    url = await create_assignment(client, course)
    opened = await client.post(
        url + "/phase", data={"phase": "submission"}, headers=course.instructor.headers
    )
    assert opened.status_code == 200, opened.text
    token = await create_session(
        conn, user_id=course.alice.user_id, course_id=course.id, role="learner",
        ttl_seconds=600, locale="fr",
    )  # fmt: skip
    staff_token = await create_session(
        conn, user_id=course.instructor.user_id, course_id=course.id, role="instructor",
        ttl_seconds=600, locale="fr",
    )  # fmt: skip
    learner = {"Authorization": f"Bearer {token}"}
    staff = {"Authorization": f"Bearer {staff_token}"}
    for headers, path, expected in [
        (learner, ui(course, "/assignments"), "Évaluation par les pairs"),
        (learner, url, "Votre travail"),
        (staff, url, "Progression"),
        (staff, ui(course, "/assignments/new"), "Nouveau devoir"),
        (staff, url + "/doubtful", "Notes douteuses"),
    ]:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert '<html lang="fr">' in response.text and expected in response.text, path


async def test_launch_into_an_assignment_shows_it(client, conn, course):
    import msgspec

    from agora.sessions import select_principal
    from agora.web import launch_response

    url = await create_assignment(client, course)
    assignment_id = int(url.rsplit("/", 1)[1])
    staff = await select_principal(conn, course.instructor.token)
    principal = msgspec.structs.replace(staff, target={"kind": "assignment", "id": assignment_id})
    page = (await launch_response(conn, principal, course.instructor.token)).content
    assert 'data-page="assignment-dashboard"' in page and "Essay: carbon budgets" in page


async def test_only_instructors_get_the_new_assignment_button(client, course):
    for member, shown in ((course.instructor, True), (course.ta, False), (course.alice, False)):
        listing = await client.get(ui(course, "/assignments"), headers=member.headers)
        assert listing.status_code == 200
        assert ("/assignments/new" in listing.text) is shown, member.name


async def test_teaching_assistants_see_the_dashboard_without_instructor_controls(client, course):
    url = await create_assignment(client, course)
    instructor = await client.get(url, headers=course.instructor.headers)
    ta = await client.get(url, headers=course.ta.headers)
    for page in (instructor, ta):
        assert page.status_code == 200 and 'data-page="assignment-dashboard"' in page.text
    for control in (f'href="{url}/edit"', f'hx-post="{url}/phase"', f'hx-post="{url}/examples"'):
        assert control in instructor.text and control not in ta.text


async def test_learners_get_no_submission_form_after_the_deadline(client, course):
    form = RUBRIC_FORM | {"submission_deadline": "2001-01-01T00:00"}
    created = await client.post(
        ui(course, "/assignments"), data=form, headers=course.instructor.headers | HTMX
    )
    assert created.status_code == 200, created.text
    url = created.headers["HX-Push-Url"]
    opened = await client.post(
        url + "/phase", data={"phase": "submission"}, headers=course.instructor.headers
    )
    assert opened.status_code == 200, opened.text
    page = await client.get(url, headers=course.alice.headers)
    assert 'hx-post="' + url + '/submission"' not in page.text
    assert "Submissions are closed." in page.text
    late = await client.post(
        url + "/submission", data={"body": "late"}, headers=course.alice.headers
    )
    assert late.status_code == 409


async def test_launch_to_an_assignment_that_cannot_exist_lands_on_the_forum_home(
    client, conn, course
):
    import msgspec

    from agora.sessions import select_principal
    from agora.web import launch_response

    learner = await select_principal(conn, course.alice.token)
    for target_id in (10**20, "not a number", -1, 999_999_999):
        principal = msgspec.structs.replace(learner, target={"kind": "assignment", "id": target_id})
        page = (await launch_response(conn, principal, course.alice.token)).content
        assert 'data-page="forum-home"' in page, target_id


async def test_launch_without_an_assignment_shows_the_assignment_list(client, conn, course):
    import msgspec

    from agora.sessions import select_principal
    from agora.web import launch_response

    await create_assignment(client, course)
    staff = await select_principal(conn, course.instructor.token)
    principal = msgspec.structs.replace(staff, target={"kind": "assignment"})
    page = (await launch_response(conn, principal, course.instructor.token)).content
    assert 'data-page="assignments"' in page and "Essay: carbon budgets" in page
