"""Input rules the shell enforces for every context: body size, unknown fields, malformed JSON."""


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
