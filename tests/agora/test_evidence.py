"""Participation evidence (issue 12.9): staff ask for a window, the worker builds a signed
snapshot of every learner's forum and peer-review participation and the raw log; the files
download byte for byte as signed, and the signature verifies with the public key it carries."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from agora.evidence import build_evidence
from agora.evidence.build import learner_row
from agora.evidence.sources import Column, Facts
from agora.outbox import relay_pending
from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS, Forum
from tests.peerreview.helpers import insert_assignment_row, insert_submission_row

NOW = datetime.now(UTC)
WINDOW = {
    "from_at": (NOW - timedelta(days=1)).isoformat(),
    "to_at": (NOW + timedelta(days=1)).isoformat(),
}


@pytest.fixture
async def course(conn):
    """A course whose forum takes posts back to back and allows every kind of anonymity."""
    return await create_course(conn, settings_json={"forum": TEST_FORUM_SETTINGS})


@pytest.fixture
def drain(database, redis, run_jobs):
    async def run() -> int:
        done = 0
        while await relay_pending(database, redis):
            done += await run_jobs()
        return done

    return run


async def _activity(client, conn, course):
    """Alice opens a thread and shares notes, Bob replies, Carol votes on Bob's reply, Alice posts
    anonymously to everyone; Alice submits an essay whose grade was released, Bob reviews it."""
    forum = Forum(client, course)
    thread = await forum.thread(course.alice, title="Heat uptake of the oceans")
    await forum.thread(course.alice, title="My notes for week 2", kind="notes")
    reply = await forum.reply(course.bob, thread["thread"]["id"], body="Mostly the upper layer")
    vote = await client.put(
        f"/api/v1/posts/{reply['id']}/vote", json={"value": 1}, headers=course.carol.headers
    )
    assert vote.status_code == 200, vote.text
    await forum.thread(course.alice, title="A secret doubt", anonymity="all")
    assignment = await insert_assignment_row(conn, course)
    await conn.execute("UPDATE pr_assignments SET phase = 'released' WHERE id = $1", assignment.id)
    submission = await insert_submission_row(conn, course.id, assignment.id, course.alice.user_id)
    await conn.execute(
        """INSERT INTO pr_reviews (course_id, assignment_id, submission_id, reviewer_id, choices,
                                   scores, total)
           VALUES ($1, $2, $3, $4, '{1}', '{7.5}', 7.5)""",
        course.id, assignment.id, submission, course.bob.user_id,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO pr_grades (course_id, submission_id, assignment_id, estimate, method,
                                  released_at)
           VALUES ($1, $2, $3, 7.456, 'calibrated', now())""",
        course.id, submission, assignment.id,
    )  # fmt: skip
    return assignment


async def _built_snapshot(client, course, drain):
    asked = await client.post(
        f"/api/v1/courses/{course.id}/evidence", json=WINDOW, headers=course.ta.headers
    )
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "pending"
    await drain()
    url = f"/api/v1/courses/{course.id}/evidence/{asked.json()['id']}"
    snapshot = await client.get(url, headers=course.ta.headers)
    assert snapshot.json()["status"] == "ready", snapshot.text
    return url, snapshot.json()


async def test_a_snapshot_counts_each_learners_participation(client, conn, course, drain):
    assignment = await _activity(client, conn, course)
    url, snapshot = await _built_snapshot(client, course, drain)
    assert snapshot["learners"] == 3  # learners only, staff are not in the evidence
    download = await client.get(f"{url}/learners.csv", headers=course.instructor.headers)
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(download.text))}
    alice, bob, carol = rows["Alice"], rows["Bob"], rows["Carol"]
    # The anonymous-to-all thread is attributed to nobody, even here.
    assert alice["forum threads"] == "2" and alice["notes shared"] == "1"
    assert bob["forum replies"] == "1" and bob["votes received"] == "1"
    assert carol["votes cast"] == "1" and carol["forum threads"] == "0"
    assert alice["peer submissions"] == "1" and bob["peer reviews done"] == "1"
    assert alice["grade: Essay (/10)"] == "7.46" and bob["grade: Essay (/10)"] == ""
    assert alice["days active"] == "1" and carol["days active"] == "1"
    assert alice["first activity (UTC)"] and carol["peer submissions"] == "0"
    assert snapshot["totals"]["forum_threads"] == 2
    assert snapshot["totals"][f"peer_grade_{assignment.id}"] == pytest.approx(7.46)


def test_a_missing_value_is_blank_where_its_column_says_so_and_0_elsewhere():
    """What a source declares decides, not how its keys are named."""
    member = {"user_id": 7, "name": "Ann", "email": "a@x.test", "active": True}
    columns = [Column("grade", "grade", blank=True), Column("peer_grade_x", "reviews")]
    facts = [Facts(values={"other": 1})]
    assert learner_row(member, facts, columns)[4:6] == ["", 0]


async def test_files_are_the_signed_text_and_the_signature_verifies(client, conn, course, drain):
    await _activity(client, conn, course)
    url, snapshot = await _built_snapshot(client, course, drain)
    learners = (await client.get(f"{url}/learners.csv", headers=course.ta.headers)).content
    log = (await client.get(f"{url}/log.csv", headers=course.ta.headers)).content
    assert hashlib.sha256(learners).hexdigest() == snapshot["learners_sha256"]
    assert hashlib.sha256(log).hexdigest() == snapshot["log_sha256"]
    document = msgspec.json.decode(
        (await client.get(f"{url}/signature.json", headers=course.ta.headers)).content
    )
    key = RSAKey.import_key(document["public_key"])
    claims = jwt.decode(document["jwt"], key, algorithms=["RS256"]).claims
    assert claims["sha256"] == {"learners.csv": snapshot["learners_sha256"],
                                "log.csv": snapshot["log_sha256"]}  # fmt: skip
    assert claims["course"]["id"] == course.id and claims["learners"] == 3
    # A changed copy no longer matches what was signed.
    assert (
        hashlib.sha256(learners.replace(b"Alice", b"Alicia")).hexdigest()
        != (claims["sha256"]["learners.csv"])
    )


async def test_the_log_is_in_time_order_and_names_no_anonymous_author(client, conn, course, drain):
    await _activity(client, conn, course)
    url, snapshot = await _built_snapshot(client, course, drain)
    text = (await client.get(f"{url}/log.csv", headers=course.ta.headers)).text
    lines = list(csv.DictReader(io.StringIO(text)))
    kinds = [line["kind"] for line in lines]
    assert sorted(kinds) == sorted(
        ["forum.thread", "forum.notes", "forum.reply", "forum.vote", "peer.submission",
         "peer.review"]
    )  # fmt: skip
    assert [line["at_utc"] for line in lines] == sorted(line["at_utc"] for line in lines)
    assert snapshot["events"] == len(lines) == 6


async def test_learners_and_other_courses_get_nothing(client, course, other_course):
    learner = await client.post(
        f"/api/v1/courses/{course.id}/evidence", json=WINDOW, headers=course.alice.headers
    )
    assert learner.status_code == 403
    assert learner.headers["content-type"].startswith("application/problem+json")
    elsewhere = await client.get(
        f"/api/v1/courses/{course.id}/evidence", headers=other_course.ta.headers
    )
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(
    ("window", "status"),
    [
        ({"from_at": "2026-09-01T00:00:00Z", "to_at": "2026-08-01T00:00:00Z"}, 422),
        ({"from_at": "2026-09-01T00:00:00", "to_at": "2026-10-01T00:00:00"}, 400),
        ({"from_at": "2020-01-01T00:00:00Z", "to_at": "2026-01-01T00:00:00Z"}, 422),
        ({"from_at": "2999-01-01T00:00:00Z", "to_at": "2999-02-01T00:00:00Z"}, 422),
        ({"from_at": "yesterday", "to_at": "2026-01-01T00:00:00Z"}, 400),
    ],
)
async def test_bad_windows_are_refused_and_nothing_is_queued(client, conn, course, window, status):
    answer = await client.post(
        f"/api/v1/courses/{course.id}/evidence", json=window, headers=course.ta.headers
    )
    assert answer.status_code == status, answer.text
    assert not await conn.fetchval(
        "SELECT count(*) FROM evidence_exports WHERE course_id = $1", course.id
    )


async def test_waiting_snapshots_are_bounded(client, course):
    url = f"/api/v1/courses/{course.id}/evidence"
    for _ in range(3):
        assert (await client.post(url, json=WINDOW, headers=course.ta.headers)).status_code == 202
    fourth = await client.post(url, json=WINDOW, headers=course.ta.headers)
    assert fourth.status_code == 409 and "already being built" in fourth.text


async def test_a_second_run_of_the_job_changes_nothing(client, conn, database, settings, course):
    await _activity(client, conn, course)
    asked = await client.post(
        f"/api/v1/courses/{course.id}/evidence", json=WINDOW, headers=course.ta.headers
    )
    export_id = asked.json()["id"]
    ctx = {"db": database, "settings": settings}
    assert await build_evidence(ctx, course.id, export_id) == "built"
    signed = await conn.fetchval("SELECT signature FROM evidence_exports WHERE id = $1", export_id)
    assert await build_evidence(ctx, course.id, export_id) == "done already"
    assert signed == await conn.fetchval(
        "SELECT signature FROM evidence_exports WHERE id = $1", export_id
    )


async def test_staff_pages_ask_list_and_print_one_learner(client, conn, course, drain):
    await _activity(client, conn, course)
    page_url = f"/ui/courses/{course.id}/evidence"
    page = await client.get(page_url, headers=course.ta.headers)
    assert page.status_code == 200 and "Build a snapshot" in page.text
    today = NOW.date().isoformat()
    asked = await client.post(
        page_url, data={"from": today, "to": today}, headers=course.ta.headers
    )
    assert asked.status_code == 200 and "Being built" in asked.text
    await drain()
    export_id = await conn.fetchval(
        "SELECT id FROM evidence_exports WHERE course_id = $1", course.id
    )
    summary = await client.get(
        f"{page_url}/{export_id}", params={"q": "ali"}, headers=course.ta.headers
    )
    assert summary.status_code == 200
    assert "Alice" in summary.text and "Bob" not in summary.text.split("One learner")[1]
    bad = await client.post(page_url, data={"from": "soon", "to": today}, headers=course.ta.headers)
    assert bad.status_code == 400
    learner = await client.get(page_url, headers=course.alice.headers)
    assert learner.status_code == 403
