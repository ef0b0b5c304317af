"""The staff's grade export: one CSV row per learner with their grade, streamed in keyset
batches (every learner once, whatever the batch size), UTF-8 with a BOM, text cells that a
spreadsheet would run as formulas shown as text; learners 403, other courses 404."""

from __future__ import annotations

import csv
import io

from agora import spreadsheet
from peerreview.service import grade_export
from tests.peerreview.helpers import drain_jobs, set_phase
from tests.peerreview.http.test_names import name_people
from tests.peerreview.service.test_passback import graded_assignment

API = "/api/v1"


def read_csv(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())  # the BOM Excel needs
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_staff_export_every_learner_with_their_grade(
    client, conn, database, redis, run_jobs, monkeypatch
):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    await name_people(conn, people)
    await set_phase(client, course, aid, "released")
    await drain_jobs(database, redis, run_jobs)
    zoe = people[0]
    overridden = await client.patch(f"{API}/grades/{subs[zoe.user_id]}",
                                     json={"score": 9, "reason": "Checked by hand, 2 sources"},
                                     headers=course.instructor.headers)  # fmt: skip
    assert overridden.status_code == 200
    monkeypatch.setattr(grade_export, "EXPORT_BATCH", 3)  # 4 learners: two batches
    rows = read_csv(await client.get(f"{API}/assignments/{aid}/grades.csv",
                                     headers=course.ta.headers))  # fmt: skip
    assert list(rows[0]) == grade_export.COLUMNS
    assert len(rows) == 4 and len({r["lti_sub"] for r in rows}) == 4
    by_name = {r["name"]: r for r in rows}
    z = by_name["Zoé Martin"]
    sub = await conn.fetchval("SELECT sub FROM users WHERE id = $1", zoe.user_id)
    assert z["email"] == "zoe.martin@example.org" and z["lti_sub"] == sub
    assert (z["final_score"], z["overridden"], z["override_reason"], z["released"]) == (
        "9.0",
        "yes",
        "Checked by hand, 2 sources",
        "yes",
    )
    assert z["submission_id"] == str(subs[zoe.user_id])
    other = by_name["Learner1 Dupont1"]
    assert (other["final_score"], other["peer_estimate"], other["overridden"]) == (
        "6.0",
        "6.0",
        "no",
    )
    assert int(other["n_reviews"]) == 2 and float(other["uncertainty"]) >= 0


async def test_cells_that_look_like_formulas_are_text(client, conn, database, redis, run_jobs):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    for member, name in zip(people, ["=HYPERLINK(\"x\")", "+33 Dupont", "-Dash", "@SUM(A1)"],
                            strict=True):  # fmt: skip
        await conn.execute("UPDATE users SET name = $2 WHERE id = $1", member.user_id, name)
    await client.patch(f"{API}/grades/{subs[people[0].user_id]}",
                       json={"score": 5, "reason": "=1+1"},
                       headers=course.instructor.headers)  # fmt: skip
    rows = read_csv(await client.get(f"{API}/assignments/{aid}/grades.csv",
                                     headers=course.instructor.headers))  # fmt: skip
    names = sorted(r["name"] for r in rows)
    assert names == sorted(['\'=HYPERLINK("x")', "'+33 Dupont", "'-Dash", "'@SUM(A1)"])
    assert {r["override_reason"] for r in rows} == {"'=1+1", ""}
    assert {r["released"] for r in rows} == {"no"}  # graded, not yet released


async def test_learners_and_other_courses_cannot_export(
    client, conn, database, redis, run_jobs, other_course
):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    learner = await client.get(f"{API}/assignments/{aid}/grades.csv", headers=people[0].headers)
    assert learner.status_code == 403
    assert learner.headers["content-type"] == "application/problem+json"
    elsewhere = await client.get(f"{API}/assignments/{aid}/grades.csv",
                                 headers=other_course.instructor.headers)  # fmt: skip
    assert elsewhere.status_code == 404


def test_safe_cell_prefixes_only_formula_text():
    assert spreadsheet.safe_cell("=A1") == "'=A1"
    assert spreadsheet.safe_cell("\tx") == "'\tx"
    assert spreadsheet.safe_cell("Zoé") == "Zoé"
    assert spreadsheet.safe_cell(5) == 5


async def test_each_team_member_gets_the_team_grade(client, conn, database, redis, run_jobs):
    course, aid, people, subs = await graded_assignment(
        client, conn, database, redis, run_jobs, team=True
    )
    rows = read_csv(await client.get(f"{API}/assignments/{aid}/grades.csv",
                                     headers=course.instructor.headers))  # fmt: skip
    assert len(rows) == 4  # two teams of two: a row per learner, not per submission
    per_submission: dict[str, int] = {}
    for r in rows:
        per_submission[r["submission_id"]] = per_submission.get(r["submission_id"], 0) + 1
    assert sorted(per_submission.values()) == [2, 2]


async def test_the_dashboard_links_to_the_export(client, conn, database, redis, run_jobs):
    course, aid, people, subs = await graded_assignment(client, conn, database, redis, run_jobs)
    page = await client.get(f"/ui/courses/{course.id}/assignments/{aid}",
                            headers=course.instructor.headers)  # fmt: skip
    assert f'href="/api/v1/assignments/{aid}/grades.csv"' in page.text
    learner = await client.get(f"/ui/courses/{course.id}/assignments/{aid}",
                               headers=people[0].headers)  # fmt: skip
    assert "grades.csv" not in learner.text
