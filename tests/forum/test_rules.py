"""forum.rules as the API shows it: the can_* flags say exactly what the service accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forum import rules
from forum.queries.posts import PostRow, ThreadRef
from forum.rules import JobViewer
from forum.schemas import ForumSettings


def post(author_id: int = 2, **fields) -> PostRow:
    base = dict(
        id=10, thread_id=1, parent_id=5, seq=2, path="0000000100000002", depth=1,
        author_id=author_id, anonymity="none", body="b", body_html="<p>b</p>", score=0,
        reply_count=0, endorsed=False, accepted=False, deleted=False, hidden=False,
        hidden_reason="", edited_at=None, created_at=datetime.now(UTC), author_name="Bob",
        author_role="learner", voted=False,
    )  # fmt: skip
    return PostRow(**(base | fields))


LEARNER, OTHER, TA = JobViewer(1, "learner"), JobViewer(3, "learner"), JobViewer(9, "ta")
SETTINGS = ForumSettings()


def test_learners_edit_their_own_posts_within_the_window_staff_any_time():
    now = datetime.now(UTC)
    fresh, old = post(author_id=1), post(author_id=1, created_at=now - timedelta(hours=2))
    edit = dict(settings=SETTINGS, restrictions=frozenset(), now=now)
    assert rules.can_edit(LEARNER, fresh, **edit) and not rules.can_edit(LEARNER, old, **edit)
    assert not rules.can_edit(OTHER, fresh, **edit) and rules.can_edit(TA, old, **edit)
    assert not rules.can_edit(LEARNER, fresh, **(edit | {"restrictions": frozenset({"mute"})}))


def test_muted_learners_flag_and_vote_nothing():
    muted = frozenset({"mute"})
    assert rules.can_flag(OTHER, post(), restrictions=frozenset())
    assert not rules.can_flag(OTHER, post(), restrictions=muted)
    assert not rules.can_vote(OTHER, post(), restrictions=muted)
    assert not rules.can_flag(JobViewer(2, "learner"), post(), restrictions=frozenset())


def test_anonymity_rule():
    assert rules.can_see_author(TA, 2, "peers") and not rules.can_see_author(OTHER, 2, "peers")
    assert not rules.can_see_author(TA, 2, "all")
    assert rules.can_see_author(JobViewer(2, "learner"), 2, "all")


def test_a_reply_on_its_own_follows_post_before_you_see():
    thread = ThreadRef(
        id=1, author_id=5, kind="question", title="t", locked=False, closed=False,
        post_first=True, hidden=False, deleted=False,
    )  # fmt: skip
    answer, opening = post(author_id=2), post(author_id=5, parent_id=None)
    assert not rules.can_see_reply(OTHER, thread, answer, has_replied=False)
    assert rules.can_see_reply(OTHER, thread, answer, has_replied=True)
    assert rules.can_see_reply(OTHER, thread, opening, has_replied=False)
    assert rules.can_see_reply(JobViewer(2, "learner"), thread, answer, has_replied=False)
    assert rules.can_see_reply(TA, thread, answer, has_replied=False)
    assert rules.can_see_reply(JobViewer(5, "learner"), thread, answer, has_replied=False)  # asker


def test_flags_hide_learners_posts_but_not_staffs_or_a_pinned_opening():
    reply, opening = post(), post(parent_id=None)
    assert rules.flags_may_hide(reply, author_role="learner", thread_pinned=False)
    assert rules.flags_may_hide(reply, author_role="learner", thread_pinned=True)
    assert rules.flags_may_hide(opening, author_role="learner", thread_pinned=False)
    assert not rules.flags_may_hide(opening, author_role="learner", thread_pinned=True)
    for role in ("ta", "instructor"):
        assert not rules.flags_may_hide(reply, author_role=role, thread_pinned=False)


async def test_post_and_thread_flags_in_the_api(forum, course, client):
    question = await forum.thread(course.alice, kind="question")
    thread_id = question["thread"]["id"]
    reply = await forum.reply(course.bob, thread_id)

    as_alice = await forum.read(course.alice, thread_id)
    [root, answer] = as_alice["posts"]
    assert as_alice["can_reply"] and not as_alice["can_moderate"]
    assert answer["can_accept"] and not answer["can_endorse"] and answer["can_flag"]
    assert not answer["can_edit"] and not answer["can_delete"] and not answer["can_moderate"]
    assert root["can_edit"] and root["can_delete"] and not root["can_flag"]

    as_ta = await forum.read(course.ta, thread_id)
    assert as_ta["can_moderate"] and as_ta["posts"][1]["can_endorse"]
    assert not as_ta["posts"][1]["can_accept"] and as_ta["posts"][1]["can_edit"]

    url = f"/api/v1/courses/{course.id}/members/{course.carol.user_id}/restrictions"
    await client.put(url, json={"kind": "mute"}, headers=course.ta.headers)
    as_carol = await forum.read(course.carol, thread_id)
    assert not as_carol["can_reply"] and not as_carol["posts"][1]["can_flag"]

    await client.post(
        f"/api/v1/threads/{thread_id}/state", json={"action": "lock", "reason": "done"},
        headers=course.ta.headers,
    )  # fmt: skip
    assert not (await forum.read(course.bob, thread_id))["can_reply"]
    assert (await forum.read(course.ta, thread_id))["can_reply"]
    single = await client.get(f"/api/v1/posts/{reply['id']}", headers=course.alice.headers)
    assert single.json()["can_accept"]
