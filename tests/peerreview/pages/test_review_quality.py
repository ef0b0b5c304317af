"""Review quality on the pages: the instructor sets its share of the grade in the editor; staff
read every learner's score and its parts, worst first, a page at a time; learners may not."""

from __future__ import annotations

import html
import re

from peerreview.pages.review_quality import PAGE_SIZE
from tests.peerreview.helpers import (
    create_assignment,
    drain_jobs,
    learners,
    learners_course,
    set_phase,
)
from tests.peerreview.pages.helpers import HTMX, RUBRIC_FORM, ui
from tests.peerreview.service.test_review_quality import reviewed

API = "/api/v1"


async def test_the_editor_sets_the_review_quality_share_of_the_grade(client, conn):
    course = await learners_course(conn, 1)
    form = RUBRIC_FORM | {"steps": "1", "peer_review": "1", "peer_weight": "1",
                          "review_quality_weight": "12,5"}  # fmt: skip
    created = await client.post(
        ui(course, "/assignments"), data=form, headers=course.instructor.headers | HTMX
    )
    assert created.status_code == 200, created.text
    aid = int(created.headers["HX-Push-Url"].rsplit("/", 1)[1])
    a = (await client.get(f"{API}/assignments/{aid}", headers=course.instructor.headers)).json()
    assert a["review_quality_weight"] == 12.5
    editor = await client.get(ui(course, f"/assignments/{aid}/edit"),
                              headers=course.instructor.headers)  # fmt: skip
    assert 'name="review_quality_weight" min="0" max="100" step="any" value="12.5"' in editor.text
    refused = await client.post(
        ui(course, f"/assignments/{aid}/edit"),
        data=form | {"review_quality_weight": "150"},
        headers=course.instructor.headers | HTMX,
    )
    assert 400 <= refused.status_code < 500


# ---- staff's list of every learner's review quality ------------------------------------------


async def test_staff_list_every_reviewer_worst_first_with_the_parts(
    client, conn, database, redis, run_jobs
):
    course, aid, people, _ = await reviewed(
        client, conn, database, redis, run_jobs, review_quality_weight=20
    )
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    url = ui(course, f"/assignments/{aid}/review-quality")
    page = await client.get(url, headers=course.ta.headers)
    assert page.status_code == 200, page.text
    rows = re.findall(r'<tr data-reviewer="(\d+)">', page.text)
    assert len(rows) == len(people)
    assert int(rows[0]) == people[0].user_id  # the careless reviewer, worst first
    assert "Review quality counts for 20% of each learner" in page.text
    first = page.text.split('<tr data-reviewer="')[1]
    assert "2 reviews, " in first and "points off on average" in first
    assert first.count("not used") == 2  # no calibration, no ratings: both parts left out
    # worst first, the scores as the grading run stored them
    stored = {
        r["user_id"]: r["score"]
        for r in await conn.fetch(
            "SELECT user_id, score FROM pr_review_quality WHERE course_id = $1", course.id
        )
    }
    shown = [stored[int(r)] for r in rows]
    assert shown == sorted(shown)
    dashboard = await client.get(ui(course, f"/assignments/{aid}"), headers=course.ta.headers)
    assert f'href="{url}" data-review-quality-link' in dashboard.text
    found = await client.get(url, params={"q": people[2].name[:2]}, headers=course.ta.headers)
    assert re.findall(r'<tr data-reviewer="(\d+)">', found.text) == [str(people[2].user_id)]


async def test_learners_may_not_read_everyone_s_review_quality(client, conn):
    course = await learners_course(conn, 1)
    aid = (await create_assignment(client, course))["id"]
    learner = learners(course)[0]
    url = ui(course, f"/assignments/{aid}/review-quality")
    assert (await client.get(url, headers=learner.headers)).status_code == 403
    api = f"{API}/assignments/{aid}/review-quality/reviewers"
    assert (await client.get(api, headers=learner.headers)).status_code == 403
    empty = await client.get(url, headers=course.instructor.headers)
    assert empty.status_code == 200 and "No review quality yet" in empty.text
    assert "does not count in the grades" in empty.text


async def _many_scored(conn, course, aid, n):
    """`n` reviewers with stored scores, three to a score (ties are ordered by user id)."""
    users = await conn.fetch(
        """INSERT INTO users (platform_id, sub, name)
           SELECT $1, 'many-' || i, 'Reviewer ' || i FROM generate_series(1, $2) AS i
           RETURNING id""",
        course.platform_id,
        n,
    )
    ids = [u["id"] for u in users]
    await conn.execute(
        """INSERT INTO pr_review_quality (course_id, assignment_id, user_id, score, agreement,
                                          n_reviews)
           SELECT $1, $2, u.id, (100 - (u.n - 1) / 3)::float8, 0.5, 2
             FROM unnest($3::bigint[]) WITH ORDINALITY AS u(id, n)""",
        course.id,
        aid,
        ids,
    )
    return ids


async def test_the_list_goes_page_by_page_and_refuses_a_bad_cursor(client, conn):
    course = await learners_course(conn, 1)
    aid = (await create_assignment(client, course))["id"]
    ids = await _many_scored(conn, course, aid, 130)
    expected = [str(i) for i in sorted(ids, key=lambda i: (100 - (ids.index(i)) // 3, i))]
    url = ui(course, f"/assignments/{aid}/review-quality")
    first = await client.get(url, headers=course.instructor.headers)
    seen = re.findall(r'<tr data-reviewer="(\d+)">', first.text)
    assert len(seen) == PAGE_SIZE
    more = re.search(r'<a href="([^"]+)">More</a>', first.text)
    assert more is not None
    second = await client.get(html.unescape(more.group(1)), headers=course.instructor.headers)
    assert second.status_code == 200, second.text
    seen += re.findall(r'<tr data-reviewer="(\d+)">', second.text)
    assert seen == expected
    assert "More</a>" not in second.text
    # the API walks the same order, a bounded page at a time
    api = f"{API}/assignments/{aid}/review-quality/reviewers"
    walked, cursor = [], None
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        body = (await client.get(api, params=params, headers=course.ta.headers)).json()
        assert len(body["items"]) <= 7
        walked += [str(r["user_id"]) for r in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert walked == expected
    too_many = await client.get(api, params={"limit": 201}, headers=course.ta.headers)
    assert too_many.status_code == 400
    for bad in ("nonsense", "WyJ4IiwgMV0", "WzEuMF0"):  # not base64 JSON; ["x", 1]; [1.0]
        for target in (url, api):
            response = await client.get(
                target, params={"cursor": bad}, headers=course.instructor.headers
            )
            assert response.status_code == 400, (target, bad, response.text)
