"""forum.queries.votes: one vote per member and post, score counters, one accepted answer."""

from __future__ import annotations

from forum.queries import posts, votes


async def test_voted_flag_is_per_viewer(conn, course, make_thread, make_reply):
    post_id = await make_reply(await make_thread())
    await votes.set_vote(conn, course.id, post_id, course.carol.user_id, up=True)
    as_carol = await posts.select_post(conn, course.id, post_id, course.carol.user_id)
    as_alice = await posts.select_post(conn, course.id, post_id, course.alice.user_id)
    assert as_carol.voted and not as_alice.voted


async def test_at_most_one_accepted_answer_per_thread(conn, course, make_thread, make_reply):
    thread_id = await make_thread()
    first, second = await make_reply(thread_id), await make_reply(thread_id)

    async def accepted() -> list[int]:
        return [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM forum_posts WHERE course_id = $1 AND thread_id = $2 AND accepted",
                course.id,
                thread_id,
            )
        ]

    await votes.update_post_accepted(conn, course.id, thread_id, first)
    assert await accepted() == [first]
    await votes.update_post_accepted(conn, course.id, thread_id, second)
    assert await accepted() == [second]
    await votes.update_post_accepted(conn, course.id, thread_id, None)
    assert await accepted() == []


async def test_endorsement_records_who(conn, course, make_thread, make_reply):
    post_id = await make_reply(await make_thread())
    ta = course.ta.user_id
    await votes.update_post_endorsed(conn, course.id, post_id, endorsed=True, by=ta)
    assert await conn.fetchrow(
        "SELECT endorsed, endorsed_by FROM forum_posts WHERE course_id = $1 AND id = $2",
        course.id,
        post_id,
    ) == (True, ta)
