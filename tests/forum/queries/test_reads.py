"""forum.queries.reads: a read position only ever moves forward."""

from __future__ import annotations

from forum.queries import reads


async def stored(conn, course, user, thread_id) -> int | None:
    return await conn.fetchval(
        "SELECT read_seq FROM forum_reads WHERE course_id = $1 AND user_id = $2 AND thread_id = $3",
        course.id,
        user.user_id,
        thread_id,
    )


async def test_upsert_read_never_moves_backwards(conn, course, make_thread):
    thread_id = await make_thread()
    bob = course.bob
    assert await reads.upsert_read(conn, course.id, bob.user_id, thread_id, 5) == 5
    assert await reads.upsert_read(conn, course.id, bob.user_id, thread_id, 3) == 5
    assert await reads.upsert_read(conn, course.id, bob.user_id, thread_id, 5) == 5
    assert await reads.upsert_read(conn, course.id, bob.user_id, thread_id, 8) == 8
    assert await stored(conn, course, bob, thread_id) == 8


async def test_read_positions_are_per_member(conn, course, make_thread):
    thread_id = await make_thread()
    await reads.upsert_read(conn, course.id, course.bob.user_id, thread_id, 4)
    assert await stored(conn, course, course.carol, thread_id) is None
    assert await reads.upsert_read(conn, course.id, course.carol.user_id, thread_id, 1) == 1


async def test_own_post_is_read_when_everything_before_it_was(conn, course, make_thread):
    thread_id = await make_thread()
    bob = course.bob
    await reads.upsert_read(conn, course.id, bob.user_id, thread_id, 3)
    await reads.upsert_read_after_own_post(
        conn, course.id, bob.user_id, thread_id, seq=4, prev_last=3
    )
    assert await stored(conn, course, bob, thread_id) == 4


async def test_own_post_does_not_mark_unseen_posts_read(conn, course, make_thread):
    thread_id = await make_thread()
    bob = course.bob
    await reads.upsert_read(conn, course.id, bob.user_id, thread_id, 2)
    await reads.upsert_read_after_own_post(
        conn, course.id, bob.user_id, thread_id, seq=6, prev_last=5
    )
    assert await stored(conn, course, bob, thread_id) == 2  # posts 3..5 stay unread


async def test_first_visit_by_posting(conn, course, make_thread):
    seen_nothing, empty = await make_thread(title="busy"), await make_thread(title="empty")
    bob = course.bob
    await reads.upsert_read_after_own_post(
        conn, course.id, bob.user_id, seen_nothing, seq=4, prev_last=3
    )
    await reads.upsert_read_after_own_post(conn, course.id, bob.user_id, empty, seq=1, prev_last=0)
    assert await stored(conn, course, bob, seen_nothing) == 0
    assert await stored(conn, course, bob, empty) == 1
