"""Staff pages (forum.pages.moderation): the flag queue, resolving flags, muting a learner."""

from __future__ import annotations

import re

from tests.forum.pages.conftest import ui


async def test_moderation_is_staff_only_and_lists_flagged_posts(client, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    page = await client.get(thread, headers=course.bob.headers)
    post_id = re.search(r'data-post-id="(\d+)"', page.text).group(1)
    flagged = await client.post(
        f"{thread}/posts/{post_id}/flag", data={"reason": "spam"}, headers=course.bob.headers
    )
    assert "Staff will look at this post" in flagged.text

    denied = await client.get(ui(course, "/moderation"), headers=course.bob.headers)
    assert denied.status_code == 403
    queue = await client.get(ui(course, "/moderation"), headers=course.ta.headers)
    assert queue.status_code == 200
    assert "How does ocean heat uptake work?" in queue.text and "Spam" in queue.text
    resolved = await client.post(
        ui(course, f"/moderation/posts/{post_id}/resolve"),
        data={"action": "dismiss"},
        headers=course.ta.headers,
    )
    assert "Flags dismissed." in resolved.text


async def test_staff_mute_a_learner_from_the_learners_page(client, course, question):
    page = await client.get(ui(course, "/moderation/learners"), headers=course.instructor.headers)
    assert page.status_code == 200
    assert "Alice" in page.text and "participation" in page.text
    # Only learners can be muted or banned (forum.rules.can_be_restricted).
    assert f"/moderation/members/{course.alice.user_id}/restrict" in page.text
    assert f"/moderation/members/{course.ta.user_id}/restrict" not in page.text
    muted = await client.post(
        ui(course, f"/moderation/members/{course.alice.user_id}/restrict"),
        data={"kind": "mute", "duration_hours": "24"},
        headers=course.instructor.headers,
    )
    assert muted.status_code == 200 and "Muted" in muted.text
    thread = await client.get(
        ui(course, f"/forum/threads/{question.id}"), headers=course.alice.headers
    )
    assert 'class="reply-box"' not in thread.text
