"""Private threads and announcements on the pages (issue 12.5/12.6): what the new-thread form
offers each role, "Write privately" from the staff's learners page, and "Make public"."""

from __future__ import annotations

from tests.forum.pages.conftest import ui

HX = {"HX-Request": "true"}


async def test_the_form_offers_learners_privacy_and_staff_announcements(client, course):
    learner = (await client.get(ui(course, "/forum/new"), headers=course.alice.headers)).text
    assert 'name="private"' in learner and 'name="announcement"' not in learner
    staff = (await client.get(ui(course, "/forum/new"), headers=course.ta.headers)).text
    assert 'name="announcement"' in staff and 'name="allow_replies"' in staff
    assert 'name="private"' not in staff


async def test_staff_write_privately_to_a_learner_from_the_learners_page(client, course):
    learners = await client.get(ui(course, "/moderation/learners"), headers=course.ta.headers)
    link = f"/forum/new?to={course.bob.user_id}"
    assert link in learners.text
    form = await client.get(ui(course, link), headers=course.ta.headers)
    assert form.status_code == 200
    assert "Private to Bob" in form.text
    assert f'name="recipient_id" value="{course.bob.user_id}"' in form.text
    refused = await client.get(ui(course, link), headers=course.alice.headers)
    assert refused.status_code == 403
    not_a_learner = await client.get(
        ui(course, f"/forum/new?to={course.instructor.user_id}"), headers=course.ta.headers
    )
    assert not_a_learner.status_code == 404

    posted = await client.post(
        ui(course, "/forum/threads"),
        data={"title": "Your essay", "body": "Please resubmit.", "kind": "discussion",
              "recipient_id": str(course.bob.user_id)},
        headers=course.ta.headers | HX,
    )  # fmt: skip
    assert posted.status_code == 200 and "Private" in posted.text
    bob = await client.get(ui(course, "/forum/threads"), headers=course.bob.headers)
    carol = await client.get(ui(course, "/forum/threads"), headers=course.carol.headers)
    assert "Your essay" in bob.text and "Your essay" not in carol.text


async def test_staff_make_a_private_question_public_from_its_page(client, forum, course):
    thread = (await forum.thread(course.alice, title="Secret doubt", body="Hmm?", private=True))[
        "thread"
    ]
    page = ui(course, f"/forum/threads/{thread['id']}")
    assert "Make public" not in (await client.get(page, headers=course.alice.headers)).text
    staff_page = (await client.get(page, headers=course.ta.headers)).text
    assert "Make public" in staff_page
    assert (await client.get(page, headers=course.carol.headers)).status_code == 404
    refused = await client.post(page + "/publish", data={}, headers=course.alice.headers | HX)
    assert refused.status_code == 403
    done = await client.post(
        page + "/publish", data={"anonymous": "true"}, headers=course.ta.headers | HX
    )
    assert done.status_code == 200 and "Make public" not in done.text
    carol = await client.get(page, headers=course.carol.headers)
    assert carol.status_code == 200 and "Secret doubt" in carol.text and "Alice" not in carol.text


async def test_an_announcement_from_the_form_is_pinned_and_closed_to_learners(client, course):
    posted = await client.post(
        ui(course, "/forum/threads"),
        data={"title": "Exam on Friday", "body": "Room 101.", "kind": "discussion",
              "announcement": "true"},
        headers=course.instructor.headers | HX,
    )  # fmt: skip
    assert posted.status_code == 200
    assert "Announcement" in posted.text and "Pinned" in posted.text
    listing = await client.get(ui(course, "/forum/threads"), headers=course.bob.headers)
    assert "Exam on Friday" in listing.text and "Announcement" in listing.text
