import httpx
import pytest

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


# ---- CSRF: a write carried by the cookie alone must come from our own pages ------------------


@pytest.mark.parametrize(
    "where_from",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://testserver.local", "Sec-Fetch-Site": "same-site"},
        {},  # no browser says where it came from: not a browser form, use the Bearer header
    ],
)
async def test_a_cookie_write_from_another_site_is_refused(client, course, where_from):
    client.cookies.clear()
    url = f"/api/v1/courses/{course.id}/boards"
    headers = {"Cookie": f"agora_session={course.instructor.token}", **where_from}
    response = await client.post(url, json={"name": "Forged"}, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "another site" in response.json()["detail"] or "Agora page" in response.json()["detail"]
    listed = await client.get(url, headers=course.instructor.headers)
    assert "Forged" not in [b["name"] for b in listed.json()["items"]]


async def test_a_cookie_write_from_a_page_of_ours_is_accepted(client, course):
    client.cookies.clear()
    cookie = {"Cookie": f"agora_session={course.instructor.token}"}
    url = f"/api/v1/courses/{course.id}/boards"
    for i, where_from in enumerate(
        ({"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://testserver.local"})
    ):
        response = await client.post(url, json={"name": f"Week {i}"}, headers=cookie | where_from)
        assert response.status_code == 201, response.text


async def test_a_cookie_page_post_from_another_site_is_refused(client, course):
    client.cookies.clear()
    response = await client.post(
        "/ui/preview",
        data={"body": "x"},
        headers={
            "Cookie": f"agora_session={course.alice.token}",
            "Origin": "https://evil.example",
            "Sec-Fetch-Site": "cross-site",
        },
    )
    assert response.status_code == 403
    assert "<!doctype html>" in response.text.lower()


async def test_bearer_writes_need_no_origin(client, course):
    response = await client.post(
        f"/api/v1/courses/{course.id}/boards",
        json={"name": "From a script"},
        headers=course.instructor.headers | {"Origin": "https://elsewhere.example"},
    )
    assert response.status_code == 201
    reads = await client.get(
        f"/api/v1/courses/{course.id}/boards",
        headers={"Cookie": f"agora_session={course.alice.token}", "Sec-Fetch-Site": "cross-site"},
    )
    assert reads.status_code == 200  # reads are no CSRF target


# ---- a launch with a lower role revokes the older sessions -------------------------------------


async def test_same_or_higher_role_launches_keep_the_older_sessions(conn, course):
    again = await create_session(
        conn, user_id=course.alice.user_id, course_id=course.id, role="learner", ttl_seconds=60
    )
    promoted = await create_session(
        conn, user_id=course.ta.user_id, course_id=course.id, role="instructor", ttl_seconds=60
    )
    for token in (course.alice.token, again, course.ta.token, promoted):
        assert await select_principal(conn, token) is not None


async def test_a_demotion_in_one_course_leaves_other_courses_and_people_alone(
    conn, course, other_course
):
    await create_session(
        conn, user_id=course.ta.user_id, course_id=course.id, role="learner", ttl_seconds=60
    )
    assert await select_principal(conn, course.ta.token) is None
    assert (await select_principal(conn, course.instructor.token)).role == "instructor"
    assert (await select_principal(conn, other_course.ta.token)).role == "ta"
