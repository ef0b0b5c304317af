"""Graded boards (issue 12.10): an instructor's participation rule or staff scores, a learner's
standing, and the scores recorded for the LMS gradebook through AGS (only changed ones sent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forum.deeplink import SOURCES
from forum.service import grading
from tests.forum.pages.conftest import principal_of
from tests.forum.pages.test_statements import statements

RULE = {"mode": "count", "points": 10, "min_threads": 1, "min_replies": 2}


async def _boards(client, course):
    listed = await client.get(f"/api/v1/courses/{course.id}/boards", headers=course.ta.headers)
    return listed.json()["items"]


async def _second_board(client, course):
    made = await client.post(
        f"/api/v1/courses/{course.id}/boards", json={"name": "Week 2"},
        headers=course.instructor.headers,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _url(course, board_id, tail=""):
    return f"/api/v1/courses/{course.id}/boards/{board_id}/grading{tail}"


async def _graded(client, course, rule=None):
    board_id = await _second_board(client, course)
    answer = await client.put(
        _url(course, board_id), json=rule or RULE, headers=course.instructor.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["resource_id"] == f"board-{board_id}"
    return board_id


async def _sent(conn, course, board_id):
    rows = await conn.fetch(
        """SELECT user_id, score_given FROM lti_score_passbacks
            WHERE course_id = $1 AND resource_id = $2""",
        course.id,
        f"board-{board_id}",
    )
    return {r["user_id"]: r["score_given"] for r in rows}


async def _jobs(conn, course):
    return await conn.fetchval(
        "SELECT count(*) FROM outbox WHERE course_id = $1 AND job = 'lti_publish_scores'",
        course.id,
    )


async def test_only_instructors_set_a_rule_and_bad_rules_are_refused(client, course):
    board_id = await _second_board(client, course)
    for who in (course.ta, course.alice):
        refused = await client.put(_url(course, board_id), json=RULE, headers=who.headers)
        assert refused.status_code == 403
    bad = [
        ({**RULE, "min_threads": 0, "min_replies": 0}, 422),
        ({**RULE, "points": 0}, 400),
        ({**RULE, "mode": "lottery"}, 400),
        ({**RULE, "opens_at": "2026-09-02T00:00:00Z", "closes_at": "2026-09-01T00:00:00Z"}, 422),
        ({**RULE, "opens_at": "2026-09-02T00:00:00"}, 422),
    ]
    for rule, status in bad:
        answer = await client.put(
            _url(course, board_id), json=rule, headers=course.instructor.headers
        )
        assert answer.status_code == status, (rule, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    missing = await client.get(_url(course, board_id), headers=course.alice.headers)
    assert missing.status_code == 404
    nowhere = await client.put(
        _url(course, 99_999_999), json=RULE, headers=course.instructor.headers
    )
    assert nowhere.status_code == 404


async def test_a_learner_sees_where_they_stand(client, forum, course):
    board_id = await _graded(client, course)
    created = await forum.thread(course.alice, board_id=board_id)
    await forum.reply(course.alice, created["thread"]["id"])
    await forum.reply(course.alice, created["thread"]["id"], anonymity="all")  # not counted
    await forum.thread(course.alice)  # another board: not counted
    mine = await client.get(_url(course, board_id, "/progress"), headers=course.alice.headers)
    assert mine.status_code == 200
    assert mine.json()["threads"] == 1 and mine.json()["replies"] == 1
    assert mine.json()["score"] == pytest.approx(10 * 2 / 3)
    page = await client.get(
        f"/ui/courses/{course.id}/forum/boards/{board_id}", headers=course.alice.headers
    )
    assert "This board is graded" in page.text and "6.67 so far" in page.text


async def test_the_board_list_says_which_boards_are_graded(client, course):
    board_id = await _graded(client, course)
    graded = {b["id"]: b["graded"] for b in await _boards(client, course)}
    assert graded[board_id] and list(graded.values()).count(True) == 1
    removed = await client.delete(_url(course, board_id), headers=course.instructor.headers)
    assert removed.status_code == 204
    assert not any(b["graded"] for b in await _boards(client, course))


async def test_count_scores_reach_the_gradebook_once_each(client, forum, conn, course):
    board_id = await _graded(client, course)
    created = await forum.thread(course.alice, board_id=board_id)
    assert await grading.passback(conn, course.id, board_id) == 1  # open: only who wrote
    assert await _sent(conn, course, board_id) == {course.alice.user_id: pytest.approx(3.33)}
    jobs = await _jobs(conn, course)
    await grading.passback(conn, course.id, board_id)  # nothing changed: nothing sent again
    assert await _jobs(conn, course) == jobs
    await forum.reply(course.alice, created["thread"]["id"])
    await grading.passback(conn, course.id, board_id)
    assert (await _sent(conn, course, board_id))[course.alice.user_id] == pytest.approx(6.67)
    assert await _jobs(conn, course) == jobs + 1
    # Once the window closes, everyone gets a score: 0 for who wrote nothing.
    await conn.execute(
        "UPDATE forum_board_grading SET closes_at = $3 WHERE course_id = $1 AND board_id = $2",
        course.id, board_id, datetime.now(UTC) - timedelta(minutes=1),
    )  # fmt: skip
    await grading.passback(conn, course.id, board_id)
    sent = await _sent(conn, course, board_id)
    assert sent[course.bob.user_id] == 0 and sent[course.carol.user_id] == 0
    assert course.ta.user_id not in sent


async def test_staff_give_scores_on_a_staff_board(client, conn, course):
    board_id = await _graded(client, course, {"mode": "staff", "points": 20})
    url = _url(course, board_id, f"/learners/{course.bob.user_id}")
    given = await client.put(
        url, json={"score": 17.5, "comment": "Helpful"}, headers=course.ta.headers
    )
    assert given.status_code == 200, given.text
    assert given.json()["score"] == 17.5
    assert await _sent(conn, course, board_id) == {course.bob.user_id: 17.5}
    too_much = await client.put(url, json={"score": 21}, headers=course.ta.headers)
    assert too_much.status_code == 422
    learner = await client.put(url, json={"score": 20}, headers=course.alice.headers)
    assert learner.status_code == 403
    staff_member = _url(course, board_id, f"/learners/{course.ta.user_id}")
    assert (
        await client.put(staff_member, json={"score": 1}, headers=course.ta.headers)
    ).status_code == 404
    listed = await client.get(_url(course, board_id, "/learners"), headers=course.ta.headers)
    scores = {i["user_id"]: i["score"] for i in listed.json()["items"]}
    assert scores[course.bob.user_id] == 17.5 and scores[course.alice.user_id] is None
    assert (
        await client.get(_url(course, board_id, "/learners"), headers=course.alice.headers)
    ).status_code == 403


async def test_a_count_board_takes_no_given_score(client, course):
    board_id = await _graded(client, course)
    url = _url(course, board_id, f"/learners/{course.bob.user_id}")
    assert (await client.put(url, json={"score": 5}, headers=course.ta.headers)).status_code == 422


async def test_a_graded_board_is_linked_with_its_line_item(client, conn, course):
    board_id = await _graded(client, course)
    boards_source = next(s for s in SOURCES if s.kind == "board")
    items = await boards_source.list_items(conn, await principal_of(conn, course.instructor))
    graded = next(i for i in items if i.id == board_id)
    assert graded.score_maximum == 10 and graded.resource_id == f"board-{board_id}"
    assert all(i.score_maximum is None for i in items if i.id != board_id)


async def test_the_staff_page_sets_the_rule_and_lists_learners(client, course):
    board_id = await _second_board(client, course)
    page = f"/ui/courses/{course.id}/forum/boards/{board_id}/grading"
    assert "not graded" in (await client.get(page, headers=course.instructor.headers)).text
    saved = await client.post(
        page, data={"mode": "count", "points": "5", "min_threads": "0", "min_replies": "3",
                    "opens_at": "", "closes_at": "2030-01-01T12:00"},
        headers=course.instructor.headers,
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert "Saved." in saved.text and "Alice" in saved.text
    bad = await client.post(
        page, data={"mode": "count", "points": "5", "closes_at": "tomorrow"},
        headers=course.instructor.headers,
    )  # fmt: skip
    assert bad.status_code == 400
    assert (await client.get(page, headers=course.alice.headers)).status_code == 404


async def test_the_staff_page_reads_the_rule_once(client, conn, course):
    """Three reads of forum_board_grading before (every graded board's points, then the rule
    for the form and again for the learners); one now."""
    board_id = await _graded(client, course)
    page = f"/ui/courses/{course.id}/forum/boards/{board_id}/grading"
    queries, response = await statements(conn, client.get(page, headers=course.ta.headers))
    assert sum("forum_board_grading" in q for q in queries) == 1, queries
    assert "Alice" in response.text


async def test_the_sweep_queues_open_count_boards_only(client, conn, course):
    counted = await _graded(client, course)
    await _graded(client, course, {"mode": "staff", "points": 5})
    await grading.sweep(conn)
    queued = await conn.fetch(
        "SELECT args FROM outbox WHERE course_id = $1 AND job = 'forum_grade_board'", course.id
    )
    # setting each rule queued its board once; the sweep adds the counted board only
    assert sum(1 for r in queued if r["args"] == [course.id, counted]) == 2
    assert len(queued) == 3
