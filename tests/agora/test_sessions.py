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
