"""The one-statement writes behind the page's vote and reply (forum.queries.votes.set_vote,
forum.queries.posts.insert_reply): the same rows and counters the step-by-step writes kept."""

from __future__ import annotations

from forum.queries import posts, reads, votes
from forum.queries import threads as thread_sql


async def test_set_vote_counts_once_undoes_once_and_keeps_the_thread_score(
    conn, course, make_thread
):
    thread_id = await make_thread(author=course.alice)
    opening = await conn.fetchval(
        "SELECT id FROM forum_posts WHERE course_id = $1 AND thread_id = $2", course.id, thread_id
    )
    carol = course.carol.user_id
    assert await votes.set_vote(conn, course.id, opening, carol, up=True) == 1
    assert await votes.set_vote(conn, course.id, opening, carol, up=True) is None  # counted once
    assert (await thread_sql.select_thread(conn, course.id, thread_id)).score == 1
    assert await votes.set_vote(conn, course.id, opening, carol, up=False) == 0
    assert await votes.set_vote(conn, course.id, opening, carol, up=False) is None
    assert (await thread_sql.select_thread(conn, course.id, thread_id)).score == 0


async def test_insert_reply_writes_the_post_counters_follow_and_read_position(
    conn, course, make_thread
):
    thread_id = await make_thread(author=course.alice)
    thread = await thread_sql.select_thread(conn, course.id, thread_id, for_update=True)
    bob = course.bob.user_id
    # Bob had read everything before his replies: his own replies keep him up to date.
    await reads.upsert_read(conn, course.id, bob, thread_id, thread.last_seq)
    args = dict(
        author_id=bob, anonymity="none", body="b", body_html="<p>b</p>",
        search_config="english", prev_last=thread.last_seq, max_depth=3,
    )  # fmt: skip
    first = await posts.insert_reply(conn, course.id, thread_id, parent_id=None, **args)
    assert first["depth"] == 1 and first["parent_depth"] == 0
    assert first["path"] == f"{first['path'][:-8]}{first['seq']:08x}"
    assert first["author_name"] == "Bob" and first["author_role"] == "learner"
    nested = await posts.insert_reply(
        conn, course.id, thread_id, parent_id=first["id"], **args | {"prev_last": first["seq"]}
    )
    assert nested["path"].startswith(first["path"]) and nested["depth"] == 2
    after = await thread_sql.select_thread(conn, course.id, thread_id)
    assert after.reply_count == 2 and after.post_seq == nested["seq"]
    assert await conn.fetchval(
        "SELECT reply_count FROM forum_posts WHERE course_id = $1 AND id = $2",
        course.id, first["id"],
    ) == 1  # fmt: skip
    assert await conn.fetchval(
        """SELECT read_seq FROM forum_reads WHERE course_id = $1 AND user_id = $2
            AND thread_id = $3""",
        course.id, bob, thread_id,
    ) == nested["seq"]  # fmt: skip
    assert await conn.fetchval(
        """SELECT count(*) FROM forum_follows WHERE course_id = $1 AND user_id = $2
            AND target_kind = 'thread' AND target_id = $3""",
        course.id, bob, thread_id,
    ) == 1  # fmt: skip


async def test_insert_reply_writes_nothing_under_a_missing_or_too_deep_parent(
    conn, course, make_thread
):
    thread_id = await make_thread(author=course.alice)
    args = dict(
        author_id=course.bob.user_id, anonymity="none", body="b", body_html="<p>b</p>",
        search_config="english", prev_last=0,
    )  # fmt: skip
    assert await posts.insert_reply(
        conn, course.id, thread_id, parent_id=999_999, max_depth=3, **args
    ) is None  # fmt: skip
    elsewhere = await make_thread(author=course.alice)
    theirs = await posts.insert_reply(
        conn, course.id, elsewhere, parent_id=None, max_depth=3, **args
    )
    assert await posts.insert_reply(
        conn, course.id, thread_id, parent_id=theirs["id"], max_depth=3, **args
    ) is None  # a parent in another thread is no parent  # fmt: skip
    too_deep = await posts.insert_reply(
        conn, course.id, thread_id, parent_id=None, max_depth=0, **args
    )
    assert too_deep["id"] is None and too_deep["parent_depth"] == 0
    thread = await thread_sql.select_thread(conn, course.id, thread_id)
    assert thread.reply_count == 0 and thread.post_seq == 1


async def read_seq(conn, course, user_id, thread_id):
    return await conn.fetchval(
        """SELECT read_seq FROM forum_reads WHERE course_id = $1 AND user_id = $2
            AND thread_id = $3""",
        course.id, user_id, thread_id,
    )  # fmt: skip


async def test_own_reply_marks_read_only_what_was_seen(conn, course, make_thread, make_reply):
    """One's own reply is read; the posts before it stay unread unless they had been read."""
    bob = course.bob.user_id
    args = dict(
        author_id=bob, anonymity="none", body="b", body_html="<p>b</p>",
        search_config="english", max_depth=3,
    )  # fmt: skip
    behind = await make_thread(author=course.alice)
    for _ in range(3):
        await make_reply(behind, author=course.carol)
    thread = await thread_sql.select_thread(conn, course.id, behind)
    await reads.upsert_read(conn, course.id, bob, behind, 2)
    await posts.insert_reply(
        conn, course.id, behind, parent_id=None, prev_last=thread.last_seq, **args
    )
    assert await read_seq(conn, course, bob, behind) == 2  # posts 3.. stay unread

    unvisited = await make_thread(author=course.alice)
    await make_reply(unvisited, author=course.carol)
    thread = await thread_sql.select_thread(conn, course.id, unvisited)
    await posts.insert_reply(
        conn, course.id, unvisited, parent_id=None, prev_last=thread.last_seq, **args
    )
    assert await read_seq(conn, course, bob, unvisited) == 0  # first visit by posting

    empty = await make_thread(author=course.alice)  # nothing before the reply to leave unread
    first = await posts.insert_reply(conn, course.id, empty, parent_id=None, prev_last=0, **args)
    assert await read_seq(conn, course, bob, empty) == first["seq"]
