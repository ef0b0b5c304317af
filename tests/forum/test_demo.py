from agora.demo import seed_demo


async def test_demo_seed_creates_forum_content_once(conn, settings):
    result = await seed_demo(conn, settings)
    course_id = result["course_id"]
    count = "SELECT count(*) FROM forum_threads WHERE course_id = $1"
    threads = await conn.fetchval(count, course_id)
    assert threads == 4
    assert await conn.fetchval(
        "SELECT answered FROM forum_threads WHERE course_id = $1 AND kind = 'question'", course_id
    )
    await seed_demo(conn, settings)
    assert await conn.fetchval(count, course_id) == 4
