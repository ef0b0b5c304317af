"""The teams page (issue 13.8): staff see who is in which team and who is in none; instructors
replace the teams from a pasted list, and a list with unusable lines changes nothing and says
which lines."""

from __future__ import annotations

from tests.peerreview.helpers import create_assignment
from tests.peerreview.pages.helpers import ui


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
