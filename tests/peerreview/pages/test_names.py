"""Staff pages name the learners: the dashboard's lists, the long lists (a page at a time,
searchable by name) and the doubtful queue with its reviews and regrade requests."""

from __future__ import annotations

from tests.peerreview.helpers import drain_jobs, set_phase
from tests.peerreview.http.test_names import name_people
from tests.peerreview.service.test_passback import graded_assignment


async def released(client, conn, database, redis, run_jobs):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    await name_people(conn, people)
    await set_phase(client, course, aid, "released")
    await drain_jobs(database, redis, run_jobs)
    return course, aid, people, subs


def page_url(course, aid, path=""):
    return f"/ui/courses/{course.id}/assignments/{aid}{path}"


async def test_dashboard_and_lists_name_learners_and_search(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await released(client, conn, database, redis, run_jobs)
    dashboard = await client.get(page_url(course, aid), headers=course.instructor.headers)
    assert dashboard.status_code == 200
    assert "Zoé Martin" in dashboard.text and "zoe.martin@example.org" in dashboard.text
    assert "Learner #" not in dashboard.text  # passback rows have names now
    assert f'href="{page_url(course, aid, "/grades")}"' in dashboard.text
    grades = await client.get(
        page_url(course, aid, "/grades"), params={"q": "dupont"}, headers=course.ta.headers
    )
    assert grades.status_code == 200
    assert "Learner1 Dupont1" in grades.text and "Zoé Martin" not in grades.text
    passback = await client.get(
        page_url(course, aid, "/passback"), params={"q": "zo"}, headers=course.ta.headers
    )
    assert "Zoé Martin" in passback.text and "Dupont" not in passback.text
    nobody = await client.get(
        page_url(course, aid, "/waiting"), params={"q": "zz"}, headers=course.ta.headers
    )
    assert "Nobody matches." in nobody.text
    for path in ("/grades", "/passback", "/waiting"):
        learner = await client.get(page_url(course, aid, path), headers=people[0].headers)
        assert learner.status_code == 403 and "Zoé" not in learner.text


async def test_doubtful_queue_names_author_reviewers_and_regrade_requester(
    client, conn, database, redis, run_jobs
):
    course, aid, people, subs = await released(client, conn, database, redis, run_jobs)
    zoe = people[0]
    await conn.execute(
        """UPDATE pr_grades SET doubtful = true, doubt = 5
            WHERE course_id = $1 AND submission_id = $2""",
        course.id,
        subs[zoe.user_id],
    )
    await client.post(
        f"/api/v1/grades/{subs[people[1].user_id]}/regrade",
        json={"reason": "Please look again"},
        headers=people[1].headers,
    )
    page = await client.get(page_url(course, aid, "/doubtful"), headers=course.ta.headers)
    assert page.status_code == 200
    queue, regrades = page.text.split("Regrade requests")
    assert "Zoé Martin" in queue  # the author of the doubtful submission
    reviewers = await conn.fetch(
        """SELECT u.name FROM pr_reviews r JOIN users u ON u.id = r.reviewer_id
            WHERE r.course_id = $1 AND r.submission_id = $2""",
        course.id,
        subs[zoe.user_id],
    )
    assert reviewers and all(r["name"] in queue for r in reviewers)
    assert "Learner1 Dupont1" in regrades and "Please look again" in regrades
