"""forum.queries.threads: typed rows, the keyset list with pinned threads first, counters."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from agora.schemas import MAX_ID
from forum.queries import boards, posts, reads, threads
from forum.queries.threads import ThreadListRow, ThreadRow
from tests.conftest import create_course
from tests.forum.test_concurrency import connect, delete_committed_forum_course

FIRST_PAGE_BY_TIME = (True, datetime(9999, 12, 31, tzinfo=UTC), MAX_ID)
FIRST_PAGE_BY_COUNT = (True, 2**31 - 1, MAX_ID)
NO_FILTERS = dict(
    unread=False, unanswered=False, unresponded=False, following=False, mine=False, flagged=False
)


async def walk(conn, course, sort: str, first: tuple, limit: int) -> list[list[ThreadListRow]]:
    """Every page of the list, each fetched after the previous page's last row."""
    pages, after = [], first
    while True:
        rows = await threads.select_threads(
            conn, course.id, course.alice.user_id, sort=sort, staff=False, board_id=None,
            kind=None, after=after, limit=limit, **NO_FILTERS,
        )  # fmt: skip
        if not rows:
            return pages
        pages.append(rows)
        last = rows[-1]
        after = (last.pinned, last.sort_value, last.id)


async def test_select_thread_is_a_typed_row_or_none(conn, course, other_course, make_thread):
    thread_id = await make_thread(title="Typed")
    row = await threads.select_thread(conn, course.id, thread_id)
    assert isinstance(row, ThreadRow)
    assert (row.title, row.post_seq, row.last_seq, row.pinned) == ("Typed", 1, 1, False)
    assert await threads.select_thread(conn, other_course.id, thread_id) is None
    assert await threads.select_thread(conn, course.id, thread_id, for_update=True) == row


async def test_keyset_list_puts_pinned_threads_first_on_every_page(conn, course, make_thread):
    ids = [await make_thread(title=f"t{i}") for i in range(7)]  # created in this order
    pinned = {ids[1], ids[3], ids[4]}  # the second page holds both kinds
    for thread_id in pinned:
        await threads.update_thread_fields(conn, course.id, thread_id, pinned=True)

    pages = await walk(conn, course, "new", FIRST_PAGE_BY_TIME, limit=2)

    assert [len(p) for p in pages] == [2, 2, 2, 1]
    listed = [row.id for page in pages for row in page]
    newest_first = list(reversed(ids))
    assert listed == [i for i in newest_first if i in pinned] + [
        i for i in newest_first if i not in pinned
    ]


async def test_keyset_list_breaks_ties_by_id_without_skipping_or_repeating(
    conn, course, make_thread
):
    ids = [await make_thread(title=f"t{i}") for i in range(5)]  # every score is 0: all tie
    await threads.update_thread_fields(conn, course.id, ids[0], pinned=True)
    await threads.update_thread_fields(conn, course.id, ids[2], score=3)

    pages = await walk(conn, course, "votes", FIRST_PAGE_BY_COUNT, limit=2)

    listed = [row.id for page in pages for row in page]
    assert listed == [ids[0], ids[2], ids[4], ids[3], ids[1]]
    assert all(row.sort_value == row.score for page in pages for row in page)


async def test_list_filters_and_hidden_threads(conn, course, make_thread, make_reply):
    quiet = await make_thread(title="quiet")
    busy = await make_thread(title="busy")
    hidden = await make_thread(title="hidden", hidden=True)
    await make_reply(busy)

    async def listed(*, staff: bool = False, **flags: bool) -> list[int]:
        rows = await threads.select_threads(
            conn, course.id, course.alice.user_id, sort="activity", staff=staff, board_id=None,
            kind=None, after=FIRST_PAGE_BY_TIME, limit=10, **(NO_FILTERS | flags),
        )  # fmt: skip
        return [row.id for row in rows]

    assert await listed() == [busy, quiet]
    assert await listed(staff=True) == [busy, hidden, quiet]
    assert await listed(unresponded=True) == [quiet]


async def test_reply_hands_out_the_next_sequence_and_counts(conn, course, make_thread):
    thread_id = await make_thread()
    assert await threads.update_thread_for_reply(conn, course.id, thread_id) == 2
    assert await threads.update_thread_for_reply(conn, course.id, thread_id) == 3
    row = await threads.select_thread(conn, course.id, thread_id)
    assert (row.post_seq, row.last_seq, row.reply_count) == (3, 3, 2)


async def test_thread_page_head_carries_the_viewers_standing(conn, course, make_thread):
    thread_id = await make_thread()
    head = await threads.select_thread_page_head(conn, course.id, thread_id, course.bob.user_id)
    assert head is not None
    assert (head.read_seq, head.unread_count, head.following) == (0, 1, False)
    assert head.restrictions == [] and not head.has_replied
    assert head.author_name == "Alice" and head.author_role == "learner"


async def test_lock_thread_of_post_serialises_writers_but_not_rows_pointing_at_the_thread(
    database_url,
):
    """The thread row a write locks first: another writer waits (here: NOWAIT fails at once),
    while a read position (a foreign key to the thread) is written without waiting."""
    first, second = await connect(database_url), await connect(database_url)
    course = await create_course(first)
    try:
        await boards.insert_default_board(first, course.id)
        board_id = await boards.select_default_board_id(first, course.id)
        thread_id = await threads.insert_thread(
            first, course.id, board_id=board_id, author_id=course.alice.user_id,
            kind="discussion", anonymity="none", title="Locks", search_config="english",
            post_first=False,
        )  # fmt: skip
        post_id = await posts.insert_post(
            first, course.id, thread_id, parent_id=None, seq=1, path=f"{1:08x}", depth=0,
            author_id=course.alice.user_id, anonymity="none", title="Locks", body="b",
            body_html="<p>b</p>", search_config="english",
        )  # fmt: skip
        async with first.transaction():
            await threads.lock_thread_of_post(first, course.id, post_id)
            async with second.transaction():
                await second.execute("SET LOCAL lock_timeout = '2s'")
                with pytest.raises(asyncpg.LockNotAvailableError):
                    await second.execute(
                        "SELECT 1 FROM forum_threads WHERE id = $1 FOR NO KEY UPDATE NOWAIT",
                        thread_id,
                    )
            async with second.transaction():
                await second.execute("SET LOCAL lock_timeout = '2s'")
                await reads.upsert_read(second, course.id, course.bob.user_id, thread_id, 1)
    finally:
        await second.close()
        await delete_committed_forum_course(first, course.id, course.platform_id)
        await first.close()
