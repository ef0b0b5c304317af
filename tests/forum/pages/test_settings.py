"""Course administration pages: forum settings (instructor edits, TA reads), boards (create,
rename, describe, reorder, archive) and the moderation log page with its filters."""

from __future__ import annotations

import re

from agora.sessions import create_session
from tests.forum.pages.conftest import ui

SETTINGS_FORM = {
    "anonymity": ["none", "peers"],
    "max_depth": "3",
    "edit_window_minutes": "30",
    "auto_hide_flags": "3",
    "post_interval_seconds": "0",
    "threads_per_day": "20",
    "slow_mode_seconds": "0",
    "question_post_first": ["false"],
    "learners_create_boards": ["false"],
}


async def settings_json(client, course):
    response = await client.get(
        f"/api/v1/courses/{course.id}/forum/settings", headers=course.instructor.headers
    )
    return response.json()["settings"]


async def test_instructor_saves_the_settings_form_and_it_takes_effect(client, course):
    page = await client.get(ui(course, "/forum/settings"), headers=course.instructor.headers)
    assert page.status_code == 200
    assert 'name="slow_mode_seconds"' in page.text and "Save the settings" in page.text
    form = SETTINGS_FORM | {
        "anonymity": ["peers", "all"],  # no longer under one's own name
        "slow_mode_seconds": "30",
        "edits_per_hour": "12",
        "question_post_first": ["false", "true"],  # the hidden "false", then the ticked box
    }
    saved = await client.post(
        ui(course, "/forum/settings"), data=form, headers=course.instructor.headers
    )
    assert saved.status_code == 200 and "Settings saved." in saved.text
    stored = await settings_json(client, course)
    assert stored["anonymity"] == ["peers", "all"]
    assert stored["slow_mode_seconds"] == 30 and stored["question_post_first"] is True
    assert stored["edits_per_hour"] == 12
    assert stored["learners_create_boards"] is False
    new_thread = await client.get(ui(course, "/forum/new"), headers=course.alice.headers)
    assert '<option value="none">' not in new_thread.text  # the form offers what is allowed
    assert re.search(r'id="post-first"[^>]*checked', new_thread.text)  # the question default
    unticked = await client.post(
        ui(course, "/forum/settings"),
        data=SETTINGS_FORM | {"question_post_first": ["false"]},
        headers=course.instructor.headers,
    )
    assert unticked.status_code == 200
    assert (await settings_json(client, course))["question_post_first"] is False


async def test_bad_form_values_are_a_4xx_and_nothing_is_saved(client, course):
    for form in (
        SETTINGS_FORM | {"max_depth": "99"},
        SETTINGS_FORM | {"threads_per_day": "many"},
        {k: v for k, v in SETTINGS_FORM.items() if k != "anonymity"},  # no mode ticked
    ):
        response = await client.post(
            ui(course, "/forum/settings"), data=form, headers=course.instructor.headers
        )
        assert 400 <= response.status_code < 500
        assert "text/html" in response.headers["content-type"]
    assert (await settings_json(client, course))["max_depth"] == 3


async def test_ta_sees_the_settings_read_only_and_cannot_post_them(client, course):
    page = await client.get(ui(course, "/forum/settings"), headers=course.ta.headers)
    assert page.status_code == 200
    assert "<fieldset disabled>" in page.text and "Save the settings" not in page.text
    refused = await client.post(
        ui(course, "/forum/settings"),
        data=SETTINGS_FORM | {"max_depth": "5"},
        headers=course.ta.headers,
    )
    assert refused.status_code == 403
    learner = await client.get(ui(course, "/forum/settings"), headers=course.alice.headers)
    assert learner.status_code == 403


async def test_boards_page_creates_renames_reorders_and_archives(client, course):
    h = course.instructor.headers
    page = await client.get(ui(course, "/forum/boards"), headers=h)
    assert page.status_code == 200 and "General" in page.text
    created = await client.post(
        ui(course, "/forum/boards"), data={"name": "Week 1", "description": "Readings"}, headers=h
    )
    assert created.status_code == 200 and "Week 1" in created.text
    boards = (await client.get(f"/api/v1/courses/{course.id}/boards", headers=h)).json()["items"]
    week1 = next(b["id"] for b in boards if b["name"] == "Week 1")
    assert [b["name"] for b in boards] == ["General", "Week 1"]  # both at position 0: by age
    await client.post(
        ui(course, f"/forum/boards/{week1}/move"), data={"direction": "up"}, headers=h
    )
    await client.post(
        ui(course, f"/forum/boards/{week1}"),
        data={"name": "Week one", "description": "Chapter 1"},
        headers=h,
    )
    archived = await client.post(
        ui(course, f"/forum/boards/{week1}"), data={"archived": "true"}, headers=h
    )
    assert "Bring back" in archived.text
    boards = (await client.get(f"/api/v1/courses/{course.id}/boards", headers=h)).json()["items"]
    assert [(b["name"], b["description"], b["archived"]) for b in boards] == [
        ("Week one", "Chapter 1", True),
        ("General", "Questions and discussion about the course", False),
    ]
    bad = await client.post(
        ui(course, f"/forum/boards/{week1}/move"), data={"direction": "sideways"}, headers=h
    )
    assert bad.status_code == 400


async def test_learners_get_the_board_form_only_when_the_course_allows(client, course):
    page = await client.get(ui(course, "/forum/boards"), headers=course.alice.headers)
    assert "Create the board" not in page.text
    refused = await client.post(
        ui(course, "/forum/boards"), data={"name": "Mine"}, headers=course.alice.headers
    )
    assert refused.status_code == 403
    await client.patch(
        f"/api/v1/courses/{course.id}/forum/settings",
        json={"learners_create_boards": True},
        headers=course.instructor.headers,
    )
    page = await client.get(ui(course, "/forum/boards"), headers=course.alice.headers)
    assert "Create the board" in page.text and "Rename or describe" not in page.text
    home = await client.get(ui(course, "/forum"), headers=course.alice.headers)
    assert f'href="{ui(course, "/forum/boards")}"' in home.text


async def test_moderation_log_page_filters_and_links(client, course, question):
    h = course.instructor.headers
    await client.patch(
        f"/api/v1/courses/{course.id}/forum/settings", json={"max_depth": 4}, headers=h
    )
    await client.put(
        f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions",
        json={"kind": "mute", "reason": "spamming links"},
        headers=h,
    )
    page = await client.get(ui(course, "/moderation/log"), headers=course.ta.headers)
    assert page.status_code == 200
    assert "Changed the forum settings" in page.text and "max_depth: 3 → 4" in page.text
    assert "spamming links" in page.text and "Bob" in page.text
    muted = await client.get(
        ui(course, "/moderation/log"), params={"action": "mute"}, headers=course.ta.headers
    )
    assert "spamming links" in muted.text and "max_depth" not in muted.text
    by_name = await client.get(
        ui(course, "/moderation/log"), params={"learner_name": "ali"}, headers=course.ta.headers
    )
    assert "Nothing in the log matches." in by_name.text
    tabs = await client.get(ui(course, "/moderation"), headers=course.ta.headers)
    for path in ("/moderation/log", "/forum/boards", "/forum/settings"):
        assert f'href="{ui(course, path)}"' in tabs.text
    assert (
        await client.get(ui(course, "/moderation/log"), headers=course.alice.headers)
    ).status_code == 403


async def test_the_log_filter_form_sends_empty_fields_and_bad_ones_are_a_400(client, course):
    empty = {"action": "", "moderator": "", "learner_name": "", "since": "", "until": ""}
    page = await client.get(ui(course, "/moderation/log"), params=empty, headers=course.ta.headers)
    assert page.status_code == 200
    for bad in ({"moderator": "abc"}, {"since": "someday"}, {"action": "Drop!"}):
        response = await client.get(
            ui(course, "/moderation/log"), params=empty | bad, headers=course.ta.headers
        )
        assert response.status_code == 400, bad


async def test_the_settings_boards_and_log_pages_speak_french(client, conn, course):
    token = await create_session(
        conn, user_id=course.instructor.user_id, course_id=course.id, role="instructor",
        ttl_seconds=600, locale="fr",
    )  # fmt: skip
    h = {"Authorization": f"Bearer {token}"}
    for path, expected in [
        ("/forum/settings", "Mode lent"),
        ("/forum/boards", "Nouvel espace"),
        ("/moderation/log", "Journal de modération"),
    ]:
        assert expected in (await client.get(ui(course, path), headers=h)).text, path
