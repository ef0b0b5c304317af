"""SQL statements per page action: the thread page's vote and reply load the viewer and the
forum context once and answer with the fragment that changed, so each costs a fixed, small
number of statements for learners and staff alike (as the JSON thread read's count is tested in
tests/forum/http/test_threads.py)."""

from __future__ import annotations

import asyncio
import re

from tests.forum.pages.conftest import ui

HTMX = {"HX-Request": "true"}
RULE_READ = "g.min_threads, g.min_replies"  # forum.queries.grading.select_rule
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|SAVEPOINT|RELEASE|COMMIT|ROLLBACK)\b", re.I)


async def statements(conn, request):
    """The statements `request` runs on the test's connection, and its response."""
    queries: list[str] = []

    def log(record):
        # Transaction control (BEGIN, SAVEPOINT, RELEASE, COMMIT) is not counted: the issue's
        # counts (13 for a learner's vote before, 3 for the JSON read) leave it out too.
        if not TRANSACTION_CONTROL.match(record.query):
            queries.append(record.query)

    conn.add_query_logger(log)
    try:
        response = await request
        await asyncio.sleep(0)  # asyncpg calls loggers soon after, not during, the query
    finally:
        conn.remove_query_logger(log)
    assert response.status_code == 200, response.text
    return queries, response


async def test_a_vote_from_the_page_runs_at_most_4_statements(client, conn, course, question):
    thread = ui(course, f"/forum/threads/{question.id}")
    page = await client.get(thread, headers=course.bob.headers)
    post_id = re.search(r'data-post-id="(\d+)"', page.text).group(1)
    for who in (course.bob, course.ta):
        queries, response = await statements(
            conn,
            client.post(
                f"{thread}/posts/{post_id}/vote", data={"value": "1"}, headers=who.headers | HTMX
            ),
        )
        assert len(queries) <= 4, queries


async def test_a_reply_from_the_page_loads_its_context_once_and_answers_with_the_post(
    client, conn, course, question
):
    """21 statements for a learner and 23 for staff before (the thread re-read, the context
    twice, the course, staff board counts, a statement per row the reply writes); 6 now: the
    session, the context, the thread, the reply's rows, its notifications, its live event."""
    thread = ui(course, f"/forum/threads/{question.id}")
    # The first page a process serves reads the platforms for its framing policy (then cached
    # for minutes, agora.headers): not part of a reply's cost.
    await client.get(thread, headers=course.bob.headers)
    for who in (course.bob, course.ta):
        queries, response = await statements(
            conn,
            client.post(
                f"{thread}/posts", data={"body": "Per unit mass."}, headers=who.headers | HTMX
            ),
        )
        assert len(queries) <= 6, queries
        assert sum("forum_restrictions" in q for q in queries) == 1  # the context, once
        assert not any("FROM courses WHERE" in q for q in queries)  # the course, from it
        assert 'id="thread-live"' not in response.text and "Per unit mass." in response.text


async def test_a_board_page_reads_the_grading_rule_only_for_a_graded_board(client, conn, course):
    """The board page asked for the board's grading rule on every view before, graded or not;
    now the board list says which boards are graded: an ungraded board's page runs no grading
    statement, a graded board's reads its rule once (and the reader's counts for the banner)."""
    api = f"/api/v1/courses/{course.id}/boards"
    staff = course.instructor.headers
    graded_id, plain_id = [
        (await client.post(api, json={"name": name}, headers=staff)).json()["id"]
        for name in ("Week 2", "Week 3")
    ]
    rule = {"mode": "count", "points": 10, "min_threads": 1, "min_replies": 2}
    put = await client.put(f"{api}/{graded_id}/grading", json=rule, headers=staff)
    assert put.status_code == 200, put.text
    # The first page a process serves reads the platforms for its framing policy: not counted.
    await client.get(ui(course, "/forum"), headers=course.alice.headers)
    for who in (course.alice, course.ta):
        plain, response = await statements(
            conn, client.get(ui(course, f"/forum/boards/{plain_id}"), headers=who.headers)
        )
        assert not any(RULE_READ in q for q in plain), plain
        assert "This board is graded" not in response.text
        graded, response = await statements(
            conn, client.get(ui(course, f"/forum/boards/{graded_id}"), headers=who.headers)
        )
        assert sum(RULE_READ in q for q in graded) == 1, graded
        assert "This board is graded" in response.text
        assert len(graded) == len(plain) + 2  # the rule and the reader's counts


async def test_the_thread_page_runs_the_json_reads_statements_and_its_read_mark(
    client, conn, course, question
):
    """The JSON read's statements (session, thread head with the course, posts, their files)
    and, while something on the page was new to the viewer, its read mark: no context or
    course lookup of its own (7 statements before)."""
    thread = ui(course, f"/forum/threads/{question.id}")
    await client.get(thread, headers=course.ta.headers)  # the framing policy, cached after
    queries, response = await statements(conn, client.get(thread, headers=course.bob.headers))
    assert len(queries) <= 5, queries
    assert sum("INSERT INTO forum_reads" in q for q in queries) == 1
    assert sum("forum_restrictions" in q for q in queries) == 1
    assert not any("FROM courses" in q for q in queries)
    assert "How does ocean heat uptake work?" in response.text
    queries, _ = await statements(conn, client.get(thread, headers=course.bob.headers))
    assert len(queries) <= 4, queries  # nothing new: nothing to mark
