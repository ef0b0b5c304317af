import httpx

from agora.app import create_app
from agora.db import Database, create_pool
from agora.sessions import create_session, delete_expired_sessions, select_principal


async def test_bearer_token_identifies_user_course_and_role(conn, course):
    principal = await select_principal(conn, course.alice.token)
    assert (principal.user_id, principal.course_id, principal.role) == (
        course.alice.user_id,
        course.id,
        "learner",
    )
    assert not principal.is_staff
    assert (await select_principal(conn, course.ta.token)).is_staff


async def test_unknown_token_is_no_one(conn, course):
    assert await select_principal(conn, "not-a-token") is None


async def test_tokens_are_stored_only_as_hashes(conn, course):
    stored = await conn.fetch("SELECT token_hash FROM sessions")
    assert all(course.alice.token.encode() not in bytes(r["token_hash"]) for r in stored)


async def test_expired_session_is_refused_and_pruned(conn, course):
    token = await create_session(
        conn, user_id=course.bob.user_id, course_id=course.id, role="learner", ttl_seconds=1
    )
    await conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    assert await select_principal(conn, token) is None
    assert await delete_expired_sessions(conn) >= 1


async def test_refused_request_gives_its_pooled_connection_back_before_answering(
    settings, database_url, redis
):
    """A 401 is decided while the request's connection is opened, so that connection (and a
    write's transaction) is back in the pool when the answer arrives, never left for the garbage
    collector to close later (Litestar only cleans up a dependency once all have resolved)."""
    pool = await create_pool(database_url, min_size=1, max_size=1)
    app = create_app(settings, database=Database(pool=pool), redis=redis)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t.local") as client:
            for method in ("GET", "POST"):
                answer = await client.request(
                    method, "/api/v1/courses/1/threads", headers={"Authorization": "Bearer nope"}
                )
                assert answer.status_code == 401
                assert pool.get_idle_size() == 1, f"{method}: the connection is still held"
    finally:
        await pool.close()
