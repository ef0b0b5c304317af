"""Input rules the shell enforces for every context: body size, unknown fields, malformed JSON,
and what PostgreSQL cannot store (NUL characters, integers beyond bigint) or msgspec cannot
decode (JSON nested deeper than the recursion limit), each a 4xx, never a 500."""

import base64
import json

import pytest


async def thread_count(conn, course) -> int:
    return await conn.fetchval("SELECT count(*) FROM forum_threads WHERE course_id = $1", course.id)


async def test_body_over_the_limit_is_413_problem_json_and_writes_nothing(client, conn, course):
    before = await thread_count(conn, course)
    huge = {"title": "big", "body": "x" * 2_000_000}
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads", json=huge, headers=course.alice.headers
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert await thread_count(conn, course) == before


async def test_unknown_field_is_400_naming_it(client, conn, course):
    before = await thread_count(conn, course)
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "Hello", "body": "World", "author_id": course.bob.user_id},
        headers=course.alice.headers,
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "author_id" in response.text
    assert await thread_count(conn, course) == before


async def test_an_id_in_a_body_outside_bigint_is_400_naming_it(client, conn, course):
    """Ids in bodies are bounded like path ids (agora.schemas.Id): never a driver overflow."""
    before = await thread_count(conn, course)
    for board_id in (0, -1, 2**63, 99999999999999999999):
        response = await client.post(
            f"/api/v1/courses/{course.id}/threads",
            json={"title": "Hello", "body": "World", "board_id": board_id},
            headers=course.alice.headers,
        )
        assert response.status_code == 400, board_id
        assert response.headers["content-type"] == "application/problem+json"
        assert "board_id" in response.text
    assert await thread_count(conn, course) == before


async def test_malformed_json_is_400_problem_json(client, course):
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        content=b'{"title": "unterminated',
        headers={**course.alice.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_missing_token_is_401_problem_json(client, course):
    response = await client.get(f"/api/v1/courses/{course.id}/threads")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "Bearer" in response.json()["detail"]


# ---- what PostgreSQL cannot store is refused at the door (issue 10, point 9) -----------------


async def test_a_nul_in_any_body_text_is_400_naming_the_field_and_writes_nothing(
    client, conn, course
):
    """agora.schemas.Input refuses NUL in every text field, however nested (it was a driver
    error: a 500)."""
    before = await thread_count(conn, course)
    for body in ({"title": "Hello\x00", "body": "World"}, {"title": "Hello", "body": "W\x00"}):
        response = await client.post(
            f"/api/v1/courses/{course.id}/threads", json=body, headers=course.alice.headers
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "NUL" in response.text
    assert await thread_count(conn, course) == before
    rubric = [{"name": "Argument", "options": [{"label": "Weak\x00", "points": 0},
                                                {"label": "Sound", "points": 2}]}]  # fmt: skip
    nested = await client.post(
        f"/api/v1/courses/{course.id}/assignments",
        json={"title": "Essay", "prompt": "Write.", "rubric": rubric},
        headers=course.instructor.headers,
    )
    assert nested.status_code == 400, nested.text
    assert "label" in nested.text and "NUL" in nested.text


async def test_an_integer_beyond_bigint_anywhere_in_a_body_is_400(client, conn, course):
    thread = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "Hello", "body": "World"},
        headers=course.alice.headers,
    )
    thread_id = thread.json()["thread"]["id"]
    for seq in (2**63, 10**30):
        response = await client.put(
            f"/api/v1/threads/{thread_id}/read", json={"seq": seq}, headers=course.alice.headers
        )
        assert response.status_code == 400, (seq, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "seq" in response.text


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"title": "a", "body": "b", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"title": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
    ],
    ids=["nested arrays", "nested in an unknown field", "nested objects"],
)
async def test_deeply_nested_json_is_400(client, conn, course, raw):
    before = await thread_count(conn, course)
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        content=raw,
        headers={**course.alice.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert await thread_count(conn, course) == before


async def test_a_nul_in_the_query_string_of_any_route_is_400(client, course):
    """agora.params.RejectNulBytes: text query parameters that reach SQL (a learner's name in
    the moderation log, search words) and those that do not, on the API and on pages."""
    api = f"/api/v1/courses/{course.id}"
    for who, url, params in (
        (course.instructor, f"{api}/moderation/log", {"learner_name": "a\x00"}),
        (course.alice, f"{api}/search", {"q": "a\x00b"}),
        (course.alice, f"{api}/threads", {"filter": "\x00"}),
        (course.alice, f"/ui/courses/{course.id}/forum/threads", {"sort": "\x00"}),
    ):
        response = await client.get(url, params=params, headers=who.headers)
        assert response.status_code == 400, (url, response.text[:300])
        expected = "text/html" if url.startswith("/ui/") else "application/problem+json"
        assert response.headers["content-type"].startswith(expected)


async def test_a_nul_in_a_cursor_value_is_400(client, course):
    cursor = base64.urlsafe_b64encode(json.dumps(["\x00"]).encode()).decode().rstrip("=")
    response = await client.get(
        f"/api/v1/courses/{course.id}/threads",
        params={"cursor": cursor, "sort": "title"},
        headers=course.alice.headers,
    )
    assert response.status_code == 400, response.text
    assert "cursor" in response.json()["detail"]


async def test_a_nul_in_a_page_form_is_400_and_writes_nothing(client, conn, course):
    before = await thread_count(conn, course)
    response = await client.post(
        f"/ui/courses/{course.id}/forum/threads",
        data={"title": "Hello\x00", "body": "World", "kind": "discussion"},
        headers=course.alice.headers,
    )
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert await thread_count(conn, course) == before


async def test_a_nul_in_lti_login_parameters_is_refused(client):
    response = await client.get(
        "/lti/login",
        params={"iss": "https://lms.test\x00", "login_hint": "x", "target_link_uri": "y"},
    )
    assert response.status_code == 400, response.text[:300]
    response = await client.post(
        "/lti/login",
        data={"iss": "https://lms.test", "login_hint": "x\x00", "target_link_uri": "y"},
    )
    assert 400 <= response.status_code < 500, response.text[:300]
