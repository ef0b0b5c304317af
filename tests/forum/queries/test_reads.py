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
