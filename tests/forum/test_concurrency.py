"""Writes racing on one thread, on real committed connections: votes on the opening post and
replies take their locks in one order (the thread row first), so they never deadlock."""

from __future__ import annotations

import asyncio

import asyncpg

from agora.db import init_connection
from agora.sessions import Principal
from forum.schemas import PostCreate, ThreadCreate
from forum.service import posts as posts_service
from forum.service import threads as threads_service
from forum.service import votes as votes_service
from tests.conftest import create_course
from tests.forum.conftest import TEST_FORUM_SETTINGS

VOTERS = 4
REPLIERS = 4
ROUNDS = 6
# Child rows first; replies point at their parents, so the tree is cut before posts go.
COURSE_CLEANUP = [
    "DELETE FROM forum_notifications WHERE course_id = $1",
    "DELETE FROM forum_flags WHERE course_id = $1",
    "DELETE FROM forum_votes WHERE course_id = $1",
    "DELETE FROM forum_revisions WHERE course_id = $1",
    "DELETE FROM forum_reads WHERE course_id = $1",
    "DELETE FROM forum_follows WHERE course_id = $1",
    "DELETE FROM forum_mod_actions WHERE course_id = $1",
    "DELETE FROM forum_restrictions WHERE course_id = $1",
    "DELETE FROM outbox WHERE course_id = $1",
    "DELETE FROM sessions WHERE course_id = $1",
    "UPDATE forum_posts SET parent_id = NULL WHERE course_id = $1",
    "DELETE FROM forum_posts WHERE course_id = $1",
    "DELETE FROM forum_threads WHERE course_id = $1",
    "DELETE FROM forum_boards WHERE course_id = $1",
    "DELETE FROM memberships WHERE course_id = $1",
    "DELETE FROM courses WHERE id = $1",
]


async def delete_committed_forum_course(c: asyncpg.Connection, course_id: int, platform_id: int):
    """Remove a course (and its forum) a test committed through real connections."""
    for statement in COURSE_CLEANUP:
        await c.execute(statement, course_id)
    await c.execute("DELETE FROM users WHERE platform_id = $1", platform_id)
    await c.execute("DELETE FROM deployments WHERE platform_id = $1", platform_id)
    await c.execute("DELETE FROM platforms WHERE id = $1", platform_id)


async def connect(url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(url)
    await init_connection(connection)
    return connection


async def test_votes_on_the_opening_post_and_replies_at_once_never_deadlock(database_url):
    admin = await connect(database_url)
    people = [("instructor", "instructor")] + [
        (f"l{i}", "learner") for i in range(VOTERS + REPLIERS)
    ]
    course = await create_course(admin, people, settings_json={"forum": TEST_FORUM_SETTINGS})
    members = [m for m in course.members.values() if m.role == "learner"]
    principals = [Principal(m.user_id, course.id, m.role) for m in members]
    voters, repliers = principals[:VOTERS], principals[VOTERS:]
    connections = [await connect(database_url) for _ in principals]
    try:
        async with admin.transaction():
            thread = await threads_service.create_thread(
                admin, None, Principal(course.instructor.user_id, course.id, "instructor"),
                course.id, ThreadCreate(title="Busy", body="Vote and reply", anonymity="none"),
            )  # fmt: skip
        thread_id, opening_id = thread.thread.id, thread.posts[0].id

        async def vote(conn: asyncpg.Connection, who: Principal, value: int) -> None:
            async with conn.transaction():
                await votes_service.vote(conn, who, opening_id, value)

        async def reply(conn: asyncpg.Connection, who: Principal) -> None:
            async with conn.transaction():
                await posts_service.create_post(
                    conn, None, who, thread_id, PostCreate(body="Me too", anonymity="none")
                )

        failures: list[BaseException] = []
        for n in range(ROUNDS):
            results = await asyncio.gather(
                *(vote(c, p, 1 - n % 2) for c, p in zip(connections, voters, strict=False)),
                *(reply(c, p) for c, p in zip(connections[VOTERS:], repliers, strict=True)),
                return_exceptions=True,
            )
            failures += [r for r in results if isinstance(r, BaseException)]
        assert failures == []
        counts = await admin.fetchrow(
            """SELECT t.reply_count, t.score, p.score AS post_score, p.reply_count AS direct
                 FROM forum_threads t JOIN forum_posts p ON p.course_id = t.course_id
                  AND p.id = $2 WHERE t.course_id = $1 AND t.id = $3""",
            course.id, opening_id, thread_id,
        )  # fmt: skip
        # every reply counted once; the last round took every vote back
        assert counts["reply_count"] == counts["direct"] == REPLIERS * ROUNDS
        assert counts["score"] == counts["post_score"] == (VOTERS if ROUNDS % 2 else 0)
    finally:
        for connection in connections:
            await connection.close()
        await delete_committed_forum_course(admin, course.id, course.platform_id)
        await admin.close()
