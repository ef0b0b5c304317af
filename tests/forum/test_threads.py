async def test_learner_creates_thread_and_reads_it_back(forum, course):
    created = await forum.thread(
        course.alice, title="Why is CO2 a greenhouse gas?", body="**bold**"
    )
    assert created["thread"]["title"] == "Why is CO2 a greenhouse gas?"
    assert created["posts"][0]["body_html"] == "<p><strong>bold</strong></p>\n"
    page = await forum.read(course.bob, created["thread"]["id"])
    assert page["thread"]["author"]["name"] == "Alice"
