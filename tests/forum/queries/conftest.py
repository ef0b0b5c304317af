"""Query-level fixtures: a course and threads written straight through forum.queries, on the
test's rolled-back connection (no app, no service rules in the way)."""

from __future__ import annotations

import pytest

from forum.queries import boards, posts, threads
from tests.conftest import create_course


@pytest.fixture
async def course(conn):
    return await create_course(conn)


@pytest.fixture
def make_thread(conn, course):
    """A thread with its opening post (sequence number 1); returns the thread id."""

    async def make(author=None, title: str = "A thread", **fields: object) -> int:
        author_id = (author or course.alice).user_id
        await boards.insert_default_board(conn, course.id)
        board_id = await boards.select_default_board_id(conn, course.id)
        thread_id = await threads.insert_thread(
            conn, course.id, board_id=board_id, author_id=author_id, kind="discussion",
            anonymity="none", title=title, search_config="english", post_first=False,
        )  # fmt: skip
        await posts.insert_post(
            conn, course.id, thread_id, parent_id=None, seq=1, path=f"{1:08x}", depth=0,
            author_id=author_id, anonymity="none", title=title, body="Opening post",
            body_html="<p>Opening post</p>", search_config="english",
        )  # fmt: skip
        if fields:
            await threads.update_thread_fields(conn, course.id, thread_id, **fields)
        return thread_id

    return make


@pytest.fixture
def make_reply(conn, course):
    """A reply under the opening post (counters and sequence as the service hands them out)."""

    async def make(thread_id: int, author=None, body: str = "A reply") -> int:
        author_id = (author or course.bob).user_id
        root = await posts.select_root_post_id(conn, course.id, thread_id)
        seq = await threads.update_thread_for_reply(conn, course.id, thread_id)
        post_id = await posts.insert_post(
            conn, course.id, thread_id, parent_id=root, seq=seq, path=f"{1:08x}{seq:08x}",
            depth=1, author_id=author_id, anonymity="none", title=None, body=body,
            body_html=f"<p>{body}</p>", search_config="english",
        )  # fmt: skip
        return post_id

    return make
