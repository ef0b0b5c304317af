"""forum.queries.posts: a page of the tree in path order, typed rows, the post-first filter."""

from __future__ import annotations

from forum.queries import posts
from forum.queries.posts import PostDetail, PostRow


async def test_posts_page_walks_the_tree_by_path(conn, course, make_thread, make_reply):
    thread_id = await make_thread()
    replies = [await make_reply(thread_id) for _ in range(3)]
    root = await posts.select_root_post_id(conn, course.id, thread_id)

    first = await posts.select_posts_page(
        conn, course.id, thread_id, course.carol.user_id, after_path="", all_replies=True, limit=2
    )
    rest = await posts.select_posts_page(
        conn, course.id, thread_id, course.carol.user_id, after_path=first[-1].path,
        all_replies=True, limit=10,
    )  # fmt: skip

    assert all(isinstance(row, PostRow) for row in first + rest)
    assert [row.id for row in first + rest] == [root, *replies]
    assert [row.depth for row in first + rest] == [0, 1, 1, 1]


async def test_without_all_replies_only_the_opening_post_and_own_replies(
    conn, course, make_thread, make_reply
):
    thread_id = await make_thread()
    await make_reply(thread_id, author=course.bob)
    mine = await make_reply(thread_id, author=course.carol)
    rows = await posts.select_posts_page(
        conn, course.id, thread_id, course.carol.user_id, after_path="", all_replies=False,
        limit=10,
    )  # fmt: skip
    assert [row.parent_id is None for row in rows] == [True, False]
    assert rows[1].id == mine


async def test_select_post_brings_its_threads_facts(conn, course, other_course, make_thread):
    thread_id = await make_thread(title="Facts", locked=True)
    root = await posts.select_root_post_id(conn, course.id, thread_id)
    row = await posts.select_post(conn, course.id, root, course.bob.user_id)
    assert isinstance(row, PostDetail)
    assert row.title == "Facts" and row.author_name == "Alice" and not row.voted
    assert row.thread.id == thread_id and row.thread.locked and row.thread.kind == "discussion"
    assert await posts.select_post(conn, other_course.id, root) is None


async def test_select_post_says_whether_the_viewer_replied_in_a_post_first_thread(
    conn, course, make_thread, make_reply
):
    thread_id = await make_thread()
    await conn.execute("UPDATE forum_threads SET post_first = true WHERE id = $1", thread_id)
    answer = await make_reply(thread_id, author=course.bob)
    before = await posts.select_post(conn, course.id, answer, course.carol.user_id)
    assert before is not None and not before.viewer_replied and not before.thread_pinned
    own = await make_reply(thread_id, author=course.carol)
    after = await posts.select_post(conn, course.id, answer, course.carol.user_id)
    assert after is not None and after.viewer_replied
    await posts.update_post_flags(conn, course.id, own, deleted=True)  # a deleted reply: not yet
    assert not (
        await posts.select_post(conn, course.id, answer, course.carol.user_id)
    ).viewer_replied
    # outside post-first threads the question does not arise
    open_thread = await make_thread(pinned=True)
    reply = await make_reply(open_thread, author=course.bob)
    await make_reply(open_thread, author=course.carol)
    row = await posts.select_post(conn, course.id, reply, course.carol.user_id)
    assert row is not None and not row.viewer_replied and row.thread_pinned
