"""forum.queries.reads: a read position only ever moves forward."""

from __future__ import annotations

from agora.sessions import select_principal
from forum.queries import reads
from forum.service import reads as reads_service


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


async def test_a_page_views_read_mark_never_moves_backwards_either(conn, course, make_thread):
    thread_id = await make_thread()
    bob = course.bob
    assert await reads.upsert_read_unflushed(conn, course.id, bob.user_id, thread_id, 5) == 5
    assert await reads.upsert_read_unflushed(conn, course.id, bob.user_id, thread_id, 3) == 5
    assert await reads.upsert_read(conn, course.id, bob.user_id, thread_id, 8) == 8
    assert await stored(conn, course, bob, thread_id) == 8


async def test_a_read_mark_inside_a_write_keeps_the_write_flushed(conn, course, make_thread):
    """The unflushed mark turns synchronous commit off for its whole transaction: a page shown
    inside an action's transaction (conn here is in one) marks the usual, flushed way."""
    thread_id = await make_thread()
    bob = await select_principal(conn, course.bob.token)
    await reads_service.mark_seen(conn, bob, thread_id, 2)
    assert await stored(conn, course, course.bob, thread_id) == 2
    assert await conn.fetchval("SHOW synchronous_commit") == "on"
    await reads.upsert_read_unflushed(conn, course.id, bob.user_id, thread_id, 3)
    assert await conn.fetchval("SHOW synchronous_commit") == "off"  # why mark_seen checks
