"""Self-assessment and weighted rubrics on the pages: the editor's steps and criterion fields, the
learner's self-assessment form, and the grade page that explains how the grade is made."""

from __future__ import annotations

import re

from tests.peerreview.helpers import drain_jobs, learners, learners_course, set_phase, submit
from tests.peerreview.http.test_self_assessments import (
    SELF,
    review_all,
    self_assessed,
    weighted_assignment,
)
from tests.peerreview.pages.helpers import HTMX, RUBRIC_FORM, ui

API = "/api/v1"


async def test_the_editor_sets_steps_weights_and_comment_only_criteria(client, conn):
    course = await learners_course(conn, 1)
    form = RUBRIC_FORM | {
        "crit-0-weight": "2", "crit-2-name": "Tone", "crit-2-comment-only": "1",
        "crit-2-comment-required": "1", "steps": "1", "peer_review": "1",
        "self_assessment": "1", "peer_weight": "4", "self_weight": "1",
    }  # fmt: skip
    created = await client.post(
        ui(course, "/assignments"), data=form, headers=course.instructor.headers | HTMX
    )
    assert created.status_code == 200, created.text
    aid = int(created.headers["HX-Push-Url"].rsplit("/", 1)[1])
    a = (await client.get(f"{API}/assignments/{aid}", headers=course.instructor.headers)).json()
    assert a["points_possible"] == 2 * 4 + 2  # Accuracy twice, Tone nothing
    assert [c["weight"] for c in a["rubric"]] == [2, 1, 1]
    assert a["rubric"][2]["comment_only"] and a["rubric"][2]["comment_required"]
    assert (a["self_assessment"], a["peer_weight"], a["self_weight"]) == (True, 4, 1)
    editor = await client.get(ui(course, f"/assignments/{aid}/edit"),
                              headers=course.instructor.headers)  # fmt: skip
    assert 'id="crit-2-comment-only" name="crit-2-comment-only" value="1" checked' in editor.text
    assert 'id="self-assessment" name="self_assessment" value="1" checked' in editor.text
    assert 'name="crit-0-weight" min="0.01" max="100" step="any" value="2"' in editor.text


async def test_the_learner_self_assesses_from_the_page(client, conn):
    course = await learners_course(conn, 1)
    (alice,) = learners(course)
    aid = (await weighted_assignment(client, course))["id"]
    await set_phase(client, course, aid, "submission")
    page = await client.get(ui(course, f"/assignments/{aid}"), headers=alice.headers)
    assert "Submit your work first, then assess it" in page.text
    await submit(client, alice, aid)
    page = await client.get(ui(course, f"/assignments/{aid}"), headers=alice.headers)
    form = re.search(r'<form class="card" hx-post="([^"]+/self-assessment)"', page.text)
    assert form and "Comment only: no score" in page.text
    assert "counts for 25% of your grade" in page.text
    missing = await client.post(form.group(1), data={"c0": "3", "c1": "2"}, headers=alice.headers)
    assert missing.status_code == 422 and "Tone" in missing.text  # its comment is required
    saved = await client.post(
        form.group(1), data={"c0": "3", "c1": "1", "comment2": "Calm", "comment": "Proud"},
        headers=alice.headers,
    )  # fmt: skip
    assert saved.status_code == 200 and "Your self-assessment is saved." in saved.text
    assert "You gave your work 14 of 16 points." in saved.text
    # the form comes back filled in, to change it
    assert 'name="c0" value="3" required checked' in saved.text and ">Calm</textarea>" in saved.text


async def test_the_grade_page_explains_the_combination_and_shows_the_feedback(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 4)
    people = learners(course)
    aid = (await weighted_assignment(client, course))["id"]
    await set_phase(client, course, aid, "submission")
    subs = [(await submit(client, m, aid, f"Essay {i}"))["id"] for i, m in enumerate(people)]
    await self_assessed(client, people[0], aid, SELF)
    await set_phase(client, course, aid, "review")
    await review_all(client, people, aid)
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    await set_phase(client, course, aid, "released")

    page = await client.get(ui(course, f"/assignments/{aid}/grade"), headers=people[0].headers)
    assert page.status_code == 200
    text = page.text
    assert "<strong>11.5 / 16</strong>" in text
    assert "combines the peer grade (75%) and your self-assessment (25%)" in text
    assert "75% × 10.0 + 25% × 16.0 = 11.5" in text
    table = re.search(r"<table data-criteria>(.*?)</table>", text, re.S).group(1)
    assert "comment only, not graded" in table
    peer = [float(x) for x in re.findall(r"<td>([\d.]+)</td>", table)]
    assert round(sum(peer), 1) == 10.0  # the peer column adds up to the peer grade
    assert [float(x) for x in re.findall(r"<td data-self>([\d.]+)</td>", table)] == [12, 4]
    assert "Friendly tone" in text and "data-criterion-feedback" in text
    assert "I kept it calm" in text  # what she wrote about her own work

    skipped = await client.get(ui(course, f"/assignments/{aid}/grade"), headers=people[3].headers)
    assert "data-no-self" in skipped.text and "<strong>7.5 / 16</strong>" in skipped.text

    await client.patch(
        f"{API}/grades/{subs[0]}", json={"score": 9, "reason": "Checked by hand."},
        headers=course.instructor.headers,
    )  # fmt: skip
    page = await client.get(ui(course, f"/assignments/{aid}/grade"), headers=people[0].headers)
    assert "data-overridden" in page.text and "replaces the grade from the assessment" in page.text
    assert "<table data-criteria>" not in page.text and "<strong>9.0 / 16</strong>" in page.text


async def test_the_doubtful_queue_shows_peer_and_self_scores_and_criterion_feedback(
    client, conn, database, redis, run_jobs
):
    course = await learners_course(conn, 3)
    people = learners(course)
    aid = (await weighted_assignment(client, course))["id"]
    await set_phase(client, course, aid, "submission")
    subs = [(await submit(client, m, aid, f"Essay {i}"))["id"] for i, m in enumerate(people)]
    await self_assessed(client, people[0], aid, SELF)
    await set_phase(client, course, aid, "review")
    await review_all(client, people, aid)
    await set_phase(client, course, aid, "grading")
    await drain_jobs(database, redis, run_jobs)
    await conn.execute(
        """UPDATE pr_grades SET doubtful = true, doubt = 1
            WHERE course_id = $1 AND submission_id = $2""",
        course.id, subs[0],
    )  # fmt: skip
    page = await client.get(ui(course, f"/assignments/{aid}/doubtful"), headers=course.ta.headers)
    assert page.status_code == 200
    card = re.search(rf'<section class="card" aria-labelledby="sub-{subs[0]}">(.*?)</section>',
                     page.text, re.S).group(1)  # fmt: skip
    assert "peer grade 10.0 · self-assessment 16" in card
    assert "<li>Tone: Friendly tone</li>" in card
