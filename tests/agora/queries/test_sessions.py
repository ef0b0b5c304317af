"""agora.queries.sessions on the rolled-back connection: a session is found by its token's hash
alone, and only until it expires."""

import hashlib
from datetime import UTC, datetime, timedelta

from agora.queries import sessions as q
from agora.sessions import create_session


def sha256(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def insert(conn, course, member, token_hash: bytes, *, expires_in: timedelta) -> None:
    await q.insert_session(
        conn,
        token_hash,
        user_id=member.user_id,
        course_id=course.id,
        role=member.role,
        locale="fr",
        target={"kind": "thread", "id": 7},
        expires_at=datetime.now(UTC) + expires_in,
    )


async def test_a_live_session_is_its_user_in_its_course_with_the_users_name(conn, course):
    await insert(conn, course, course.alice, b"live-hash", expires_in=timedelta(hours=1))
    assert await q.select_active_session(conn, b"live-hash") == q.ActiveSession(
        user_id=course.alice.user_id,
        course_id=course.id,
        role="learner",
        locale="fr",
        target={"kind": "thread", "id": 7},
        name="Alice",
    )
    assert await q.select_active_session(conn, b"another-hash") is None


async def test_an_expired_session_is_nobody_and_is_deleted_and_a_live_one_is_kept(conn, course):
    await insert(conn, course, course.bob, b"expired-hash", expires_in=timedelta(seconds=-1))
    await insert(conn, course, course.carol, b"live-hash", expires_in=timedelta(hours=1))
    assert await q.select_active_session(conn, b"expired-hash") is None
    assert await q.delete_expired_sessions(conn) >= 1
    stored = {bytes(r["token_hash"]) for r in await conn.fetch("SELECT token_hash FROM sessions")}
    assert b"expired-hash" not in stored and b"live-hash" in stored
    assert (await q.select_active_session(conn, b"live-hash")).user_id == course.carol.user_id


async def test_only_the_tokens_hash_is_stored(conn, course):
    token = await create_session(
        conn, user_id=course.bob.user_id, course_id=course.id, role="learner", ttl_seconds=60
    )
    row = await conn.fetchrow("SELECT * FROM sessions WHERE token_hash = $1", sha256(token))
    assert row is not None
    assert all(token not in str(value) for value in row.values())
    assert await q.select_active_session(conn, token.encode()) is None
    assert (await q.select_active_session(conn, sha256(token))).user_id == course.bob.user_id
