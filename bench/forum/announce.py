"""Announcement fan-out at MOOC scale: `python -m bench.forum.announce [--learners 100000]`.

One course of N learners (users and memberships loaded with COPY into a dedicated database, the
embedded PostgreSQL/Redis under --data-dir unless AGORA_BENCH_DATABASE_URL/_REDIS_URL name
servers). Each round, an instructor posts an announcement through the service (time to enqueue:
the thread, its opening post, the fan-out row and one outbox row, committed), then the real path
delivers it in-app: the outbox relay and an arq worker (burst mode, in process) running the
fan-out job: batches of ANNOUNCE_BATCH members, each one INSERT ... SELECT in its own transaction
(time to deliver: from the announcement's transaction until the last batch committed, on the
database's clock). Beside it, in the same run, the
baseline: one INSERT ... SELECT of the same N notification rows in raw SQL, no jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

import asyncpg

from agora.db import Database, create_pool
from agora.outbox import relay_pending
from agora.redis import create_redis
from agora.sessions import Principal
from agora.settings import load_settings
from agora.worker import build_worker
from forum.schemas import ThreadCreate
from forum.service import notifications, threads

from .__main__ import servers
from .course import fresh_course

DB_NAME = "agora_bench_announce"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.forum.announce", description=__doc__)
    p.add_argument("--learners", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3, help="fan-out / baseline alternations")
    p.add_argument("--data-dir", default=os.environ.get("AGORA_BENCH_DATA_DIR", ".agora/bench"))
    return p.parse_args(argv)


async def prepare(admin_url: str, learners: int) -> tuple[str, int, int]:
    """A fresh database with one course, its instructor and `learners` learners; (url, course
    id, instructor id)."""
    url, conn, platform, course = await fresh_course(admin_url, DB_NAME, "announce")
    try:
        await conn.copy_records_to_table(
            "users",
            records=[(platform, "instructor", "Instructor", "instructor@bench.test")]
            + [
                (platform, f"learner-{i}", f"Learner {i}", f"learner-{i}@bench.test")
                for i in range(learners)
            ],
            columns=["platform_id", "sub", "name", "email"],
        )
        await conn.execute(
            """INSERT INTO memberships (course_id, user_id, role)
               SELECT $1, id, CASE WHEN sub = 'instructor' THEN 'instructor' ELSE 'learner' END
                 FROM users WHERE platform_id = $2""",
            course,
            platform,
        )
        instructor = await conn.fetchval("SELECT id FROM users WHERE sub = 'instructor'")
        await conn.execute("VACUUM ANALYZE memberships")
        await conn.execute("VACUUM ANALYZE users")
    finally:
        await conn.close()
    return url, course, instructor


async def announce(pool: asyncpg.Pool, principal: Principal, n: int) -> tuple[float, int]:
    """Post announcement `n`: (seconds until committed, its opening post's id)."""
    data = ThreadCreate(title=f"Announcement {n}", body="The exam moves to Friday.",
                        announcement=True)  # fmt: skip
    started = time.perf_counter()
    async with pool.acquire() as conn, conn.transaction():
        created = await threads.create_thread(conn, None, principal, principal.course_id, data)
    seconds = time.perf_counter() - started
    post_id: int = await pool.fetchval(
        "SELECT id FROM forum_posts WHERE course_id = $1 AND thread_id = $2 AND parent_id IS NULL",
        principal.course_id,
        created.thread.id,
    )
    return seconds, post_id


async def deliver(settings, database: Database, redis) -> tuple[float, int]:
    """Relay the outbox and run the jobs until none is left: (seconds, jobs run)."""
    started = time.perf_counter()
    jobs = 0
    while await relay_pending(database, redis):
        worker = build_worker(settings, database=database, burst=True, redis=redis,
                              handle_signals=False)  # fmt: skip
        await worker.main()
        jobs += worker.jobs_complete
    return time.perf_counter() - started, jobs


BASELINE_SQL = """
INSERT INTO forum_notifications (course_id, user_id, kind, thread_id, post_id, actor_id)
SELECT $1, m.user_id, 'announcement', p.thread_id, p.id, p.author_id
  FROM forum_posts p
  JOIN memberships m ON m.course_id = p.course_id AND m.active AND m.user_id <> p.author_id
 WHERE p.course_id = $1 AND p.id = $2
"""


async def baseline(pool: asyncpg.Pool, principal: Principal, n: int) -> tuple[float, int]:
    """A plain (not announcement) thread, then one INSERT ... SELECT notifying every member."""
    data = ThreadCreate(title=f"Baseline {n}", body="The exam moves to Friday.")
    async with pool.acquire() as conn, conn.transaction():
        created = await threads.create_thread(conn, None, principal, principal.course_id, data)
        await conn.execute("DELETE FROM outbox WHERE relayed_at IS NULL")  # no jobs for it
    post_id = await pool.fetchval(
        "SELECT id FROM forum_posts WHERE course_id = $1 AND thread_id = $2 AND parent_id IS NULL",
        principal.course_id,
        created.thread.id,
    )
    started = time.perf_counter()
    status = await pool.execute(BASELINE_SQL, principal.course_id, post_id)
    return time.perf_counter() - started, int(status.split()[-1])


async def run(args) -> None:
    with servers(Path(args.data_dir)) as (admin_url, redis_url):
        print(f"loading {args.learners:,} learners with COPY ...", flush=True)
        url, course, instructor = await prepare(admin_url, args.learners)
        settings = load_settings(environ={}, database_url=url, redis_url=redis_url)
        pool = await create_pool(url, min_size=2, max_size=6)
        redis = create_redis(redis_url)
        await redis.flushdb()
        database = Database(pool=pool)
        principal = Principal(user_id=instructor, course_id=course, role="instructor")
        enqueue_s, deliver_s, base_s, jobs_seen = [], [], [], []
        try:
            await baseline(pool, principal, -1)  # warm-up: Markdown workers, plans, caches
            for n in range(args.rounds):
                e, post_id = await announce(pool, principal, n)
                drained, jobs = await deliver(settings, database, redis)
                # In-app delivery: from the fan-out row (written with the announcement) to its
                # last batch's commit, on the database's clock; `drained` also counts the
                # superseded continuation jobs that find nothing left to do.
                d = await pool.fetchval(
                    """SELECT extract(epoch FROM finished_at - created_at)::float8
                         FROM forum_fanouts WHERE course_id = $1 AND post_id = $2""",
                    course,
                    post_id,
                )
                count = await pool.fetchval(
                    """SELECT count(*) FROM forum_notifications
                        WHERE course_id = $1 AND post_id = $2""",
                    course,
                    post_id,
                )
                b, rows = await baseline(pool, principal, n)
                assert count == rows == args.learners, (count, rows)
                enqueue_s.append(e)
                deliver_s.append(d)
                base_s.append(b)
                jobs_seen.append(jobs)
                print(f"round {n + 1}: enqueue {e * 1000:.1f} ms, deliver {d:.2f} s "
                      f"({count:,} notifications; queue drained in {drained:.2f} s, {jobs} jobs)"
                      f", baseline {b:.2f} s "
                      f"({rows:,} rows)", flush=True)  # fmt: skip
        finally:
            await redis.aclose()
            await pool.close()
    batches = -(-(args.learners + 1) // notifications.ANNOUNCE_BATCH)  # + the instructor
    med_d, med_b = statistics.median(deliver_s), statistics.median(base_s)
    print()
    print("| scenario | enqueue ms | deliver in-app s | baseline INSERT ... SELECT s | "
          "deliver / baseline |")  # fmt: skip
    print("|---|---|---|---|---|")
    print(f"| announcement to {args.learners:,} learners ({batches} batches of "
          f"{notifications.ANNOUNCE_BATCH:,}) | {statistics.median(enqueue_s) * 1000:.1f} | "
          f"{med_d:.2f} | {med_b:.2f} | {med_d / med_b:.2f} |")  # fmt: skip
    print(f"(medians of {args.rounds} rounds; jobs per delivery: {jobs_seen})")


def main(argv=None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
