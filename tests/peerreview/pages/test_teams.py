"""The teams page (issue 13.8): staff see who is in which team and who is in none; instructors
replace the teams from a pasted list, and a list with unusable lines changes nothing and says
which lines."""

from __future__ import annotations

from tests.peerreview.helpers import create_assignment, set_phase
from tests.peerreview.pages.helpers import HTMX, RUBRIC_FORM, ui


async def _teams_url(client, course):
    assignment = await create_assignment(client, course, team_submissions=True)
    return ui(course, f"/assignments/{assignment['id']}/teams"), assignment["id"]


async def _members(conn, course, assignment_id):
    rows = await conn.fetch(
        """SELECT team, user_id FROM pr_team_members WHERE course_id = $1 AND assignment_id = $2""",
        course.id,
        assignment_id,
    )
    return {(r["team"], r["user_id"]) for r in rows}


async def test_an_instructor_sets_teams_from_a_pasted_list(client, conn, course):
    url, assignment_id = await _teams_url(client, course)
    empty = await client.get(url, headers=course.instructor.headers)
    assert empty.status_code == 200 and "3 learners are in no team." in empty.text
    pasted = "team,learner\nRed, sub-alice\nRed, Bob\n\nBlue, Carol\n"
    done = await client.post(url, data={"teams": pasted}, headers=course.instructor.headers)
    assert done.status_code == 200, done.text
    assert "2 teams, 3 learners." in done.text and "0 learners are in no team." in done.text
    assert await _members(conn, course, assignment_id) == {
        ("Red", course.alice.user_id), ("Red", course.bob.user_id),
        ("Blue", course.carol.user_id),
    }  # fmt: skip
    dashboard = await client.get(
        ui(course, f"/assignments/{assignment_id}"), headers=course.instructor.headers
    )
    assert f"/assignments/{assignment_id}/teams" in dashboard.text


async def test_a_list_with_unusable_lines_changes_nothing(client, conn, course):
    url, assignment_id = await _teams_url(client, course)
    await client.post(url, data={"teams": "Red, Alice"}, headers=course.instructor.headers)
    pasted = "Red, Nobody\nBlue, sub-bob\nGreen, sub-bob\njust one cell\n"
    refused = await client.post(url, data={"teams": pasted}, headers=course.instructor.headers)
    assert refused.status_code == 422
    assert "Nothing was changed" in refused.text
    assert "Line 1:" in refused.text and "Nobody" in refused.text
    assert "Line 3:" in refused.text and "already in a team (line 2)" in refused.text
    assert "Line 4:" in refused.text and "Line 2:" not in refused.text
    assert "Green, sub-bob" in refused.text  # the list is kept for correcting
    assert await _members(conn, course, assignment_id) == {("Red", course.alice.user_id)}


async def test_an_ambiguous_name_must_be_an_email(client, conn, course):
    url, _ = await _teams_url(client, course)
    await conn.execute("UPDATE users SET name = 'Sam Lee' WHERE id = ANY($1::bigint[])",
                       [course.alice.user_id, course.bob.user_id])  # fmt: skip
    refused = await client.post(
        url, data={"teams": "Red, Sam Lee"}, headers=course.instructor.headers
    )
    assert refused.status_code == 422 and "names 2 learners" in refused.text


async def test_who_may_see_and_change_the_teams(client, conn, course):
    url, assignment_id = await _teams_url(client, course)
    ta = await client.get(url, headers=course.ta.headers)
    assert ta.status_code == 200 and "Replace the teams" not in ta.text
    assert (
        await client.post(url, data={"teams": "Red, Alice"}, headers=course.ta.headers)
    ).status_code == 403
    assert (await client.get(url, headers=course.alice.headers)).status_code == 403
    await conn.execute(
        "UPDATE pr_assignments SET allocated_at = now() WHERE id = $1", assignment_id
    )
    fixed = await client.get(url, headers=course.instructor.headers)
    assert "can no longer change" in fixed.text and "Replace the teams" not in fixed.text
    late = await client.post(url, data={"teams": "Red, Alice"}, headers=course.instructor.headers)
    assert late.status_code == 409


# ---- from the LMS's groups (LTI Course Groups; tests/agora/lti/test_groups.py reads them) ----


async def _lms_groups(conn, course, groups):
    """The snapshot the roster sync keeps: (set key, set name, group key, name, user ids)."""
    await conn.execute(
        """INSERT INTO lti_course_services (course_id, nrps_url, groups_url, groups_synced_at)
           VALUES ($1, 'https://lms.example/nrps', 'https://lms.example/groups', now())""",
        course.id,
    )
    for set_key, set_name, group_key, name, users in groups:
        await conn.execute(
            """INSERT INTO lti_groups (course_id, group_key, name, set_key, set_name)
               VALUES ($1, $2, $3, $4, $5)""",
            course.id, group_key, name, set_key, set_name,
        )  # fmt: skip
        for user_id in users:
            await conn.execute(
                "INSERT INTO lti_group_members (course_id, group_key, user_id) VALUES ($1, $2, $3)",
                course.id, group_key, user_id,
            )  # fmt: skip


async def test_an_instructor_makes_the_teams_from_one_of_the_lms_group_sets(client, conn, course):
    url, assignment_id = await _teams_url(client, course)
    alice, bob, carol = course.alice.user_id, course.bob.user_id, course.carol.user_id
    await _lms_groups(conn, course, [
        ("projects", "Project teams", "g-sun", "Sun", [alice, bob]),
        ("projects", "Project teams", "g-moon", "Moon", [carol, course.instructor.user_id]),
        ("labs", "Labs", "g-tue", "Tuesday", [alice, carol]),
    ])  # fmt: skip
    page = await client.get(url, headers=course.instructor.headers)
    assert "From the LMS&#39;s groups" in page.text or "From the LMS's groups" in page.text
    assert "Project teams · 2 groups, 3 learners" in page.text  # the instructor is no learner
    assert "Labs · 1 group, 2 learners" in page.text
    done = await client.post(
        url + "/lms-groups", data={"set": "projects"}, headers=course.instructor.headers
    )
    assert done.status_code == 200, done.text
    assert "2 teams, 3 learners." in done.text
    assert await _members(conn, course, assignment_id) == {
        ("Sun", alice), ("Sun", bob), ("Moon", carol),
    }  # fmt: skip


async def test_a_set_with_a_learner_in_two_of_its_groups_changes_nothing(client, conn, course):
    url, assignment_id = await _teams_url(client, course)
    alice, bob = course.alice.user_id, course.bob.user_id
    await client.post(url, data={"teams": "Red, sub-carol"}, headers=course.instructor.headers)
    await _lms_groups(conn, course, [
        ("s", "Set", "g1", "One", [alice, bob]), ("s", "Set", "g2", "Two", [bob]),
    ])  # fmt: skip
    refused = await client.post(url + "/lms-groups", data={"set": "s"},
                                headers=course.instructor.headers)  # fmt: skip
    assert refused.status_code == 422
    assert "Nothing was changed" in refused.text and "more than one group" in refused.text
    assert await _members(conn, course, assignment_id) == {("Red", course.carol.user_id)}
    empty = await client.post(url + "/lms-groups", data={"set": "no-such-set"},
                              headers=course.instructor.headers)  # fmt: skip
    assert empty.status_code == 422 and "no learners of this course" in empty.text


async def test_two_groups_of_one_name_become_two_teams(client, conn, course):
    url, assignment_id = await _teams_url(client, course)
    await _lms_groups(conn, course, [
        ("", "", "g1", "Sun", [course.alice.user_id]), ("", "", "g2", "Sun", [course.bob.user_id]),
    ])  # fmt: skip
    page = await client.get(url, headers=course.instructor.headers)
    assert "Groups in no set · 2 groups, 2 learners" in page.text
    done = await client.post(url + "/lms-groups", data={"set": ""},
                             headers=course.instructor.headers)  # fmt: skip
    assert done.status_code == 200, done.text
    assert {team for team, _ in await _members(conn, course, assignment_id)} == {"Sun", "Sun (2)"}


async def test_without_the_lms_groups_service_the_page_offers_the_list_only(client, conn, course):
    url, _ = await _teams_url(client, course)
    page = await client.get(url, headers=course.instructor.headers)
    assert page.status_code == 200 and "lms-groups" not in page.text


async def test_reading_the_groups_again_is_queued_at_most_once_a_minute(client, conn, course):
    url, _ = await _teams_url(client, course)
    await _lms_groups(conn, course, [])
    page = await client.get(url, headers=course.instructor.headers)
    assert "none have been read yet" in page.text
    asked = await client.post(url + "/lms-groups/refresh", headers=course.instructor.headers)
    assert asked.status_code == 200 and "reading the LMS" in asked.text
    again = await client.post(url + "/lms-groups/refresh", headers=course.instructor.headers)
    assert again.status_code == 200 and "reading the LMS" not in again.text
    jobs = await conn.fetch(
        "SELECT args FROM outbox WHERE job = 'lti_sync_roster' AND course_id = $1", course.id
    )
    assert len(jobs) == 1


async def test_only_instructors_use_the_groups_and_learners_cannot_ask_for_them(
    client, conn, course
):
    url, assignment_id = await _teams_url(client, course)
    await _lms_groups(conn, course, [("s", "Set", "g1", "One", [course.alice.user_id])])
    for who in (course.ta, course.alice):
        refused = await client.post(url + "/lms-groups", data={"set": "s"}, headers=who.headers)
        assert refused.status_code == 403
    for who in (course.ta, course.alice):
        refresh = await client.post(url + "/lms-groups/refresh", headers=who.headers)
        assert refresh.status_code == 403
    assert await _members(conn, course, assignment_id) == set()


async def test_the_editor_turns_team_work_on_while_the_assignment_is_a_draft(client, conn, course):
    created = await create_assignment(client, course)
    edit = ui(course, f"/assignments/{created['id']}/edit")
    editor = await client.get(edit, headers=course.instructor.headers)
    assert 'id="team-submissions" name="team_submissions" value="1" aria' in editor.text
    form = RUBRIC_FORM | {"steps": "1", "peer_review": "1", "peer_weight": "1",
                          "team_field": "1", "team_submissions": "1"}  # fmt: skip
    saved = await client.post(edit, data=form, headers=course.instructor.headers | HTMX)
    assert saved.status_code == 200, saved.text
    read = await client.get(f"/api/v1/assignments/{created['id']}",
                            headers=course.instructor.headers)  # fmt: skip
    assert read.json()["team_submissions"] is True
    dashboard = await client.get(ui(course, f"/assignments/{created['id']}"),
                                 headers=course.instructor.headers)  # fmt: skip
    assert f"/assignments/{created['id']}/teams" in dashboard.text
    await set_phase(client, course, created["id"], "submission")
    editor = await client.get(edit, headers=course.instructor.headers)
    assert "team-submissions" not in editor.text  # no longer offered
    refused = await client.patch(f"/api/v1/assignments/{created['id']}",
                                 json={"team_submissions": False},
                                 headers=course.instructor.headers)  # fmt: skip
    assert refused.status_code == 409
    after = await client.get(f"/api/v1/assignments/{created['id']}",
                             headers=course.instructor.headers)  # fmt: skip
    assert after.json()["team_submissions"] is True
