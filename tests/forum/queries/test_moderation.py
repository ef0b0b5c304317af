"""forum.queries.moderation: distinct flaggers, the queue, restrictions in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forum.queries import moderation


async def flag(conn, course, post_id, thread_id, who, reason="spam") -> bool:
    return await moderation.insert_flag(
        conn, course.id, post_id, thread_id=thread_id, user_id=who.user_id, reason=reason,
        note="",
    )  # fmt: skip


async def test_flaggers_are_counted_once_each(conn, course, make_thread, make_reply):
    thread_id = await make_thread()
    post_id = await make_reply(thread_id)
    assert await flag(conn, course, post_id, thread_id, course.carol)
    assert not await flag(conn, course, post_id, thread_id, course.carol, reason="offensive")
    assert await flag(conn, course, post_id, thread_id, course.alice)
    assert await moderation.count_open_flaggers(conn, course.id, post_id) == 2

    [item] = await moderation.select_queue(conn, course.id, after_flag_id=0, limit=10)
    assert (item["post_id"], item["flag_count"], item["reasons"]) == (post_id, 2, ["spam"])

    resolved = await moderation.update_flags_resolved(
        conn, course.id, post_id, status="dismissed", resolved_by=course.ta.user_id
    )
    assert resolved == 2
    assert await moderation.count_open_flaggers(conn, course.id, post_id) == 0
    assert await moderation.select_queue(conn, course.id, after_flag_id=0, limit=10) == []


async def test_only_restrictions_in_force_are_listed(conn, course):
    ta = course.ta.user_id
    await moderation.upsert_restriction(
        conn, course.id, course.bob.user_id, "mute", reason="", expires_at=None, created_by=ta
    )
    await moderation.upsert_restriction(
        conn, course.id, course.carol.user_id, "ban", reason="",
        expires_at=datetime.now(UTC) - timedelta(hours=1), created_by=ta,
    )  # fmt: skip
    in_force = await moderation.select_restrictions(conn, course.id)
    assert [(r["user_id"], r["kind"]) for r in in_force] == [(course.bob.user_id, "mute")]
    assert await moderation.select_restrictions(conn, course.id, course.carol.user_id) == []


async def test_restricting_again_replaces_reason_and_expiry(conn, course):
    bob, ta = course.bob.user_id, course.ta.user_id
    first = await moderation.upsert_restriction(
        conn, course.id, bob, "mute", reason="spam", expires_at=None, created_by=ta
    )
    later = datetime.now(UTC) + timedelta(hours=2)
    second = await moderation.upsert_restriction(
        conn, course.id, bob, "mute", reason="again", expires_at=later, created_by=ta
    )
    assert first["reason"] == "spam" and second["reason"] == "again"
    assert second["expires_at"] == later
    assert len(await moderation.select_restrictions(conn, course.id, bob)) == 1
    assert await moderation.delete_restriction(conn, course.id, bob, "mute")
    assert not await moderation.delete_restriction(conn, course.id, bob, "mute")


async def test_audit_log_is_newest_first_and_names_the_system(conn, course):
    for action in ("pin", "lock"):
        await moderation.insert_mod_action(
            conn, course.id, course.ta.user_id, action, target_kind="thread", target_id=1,
            reason="",
        )  # fmt: skip
    await moderation.insert_mod_action(
        conn, course.id, 0, "post_hide", target_kind="post", target_id=2, reason="auto"
    )
    rows = await moderation.select_mod_log(conn, course.id, before_id=2**63 - 1, limit=10)
    assert [(r["action"], r["actor_name"]) for r in rows] == [
        ("post_hide", "system"),
        ("lock", "Ta"),
        ("pin", "Ta"),
    ]
