"""Forum benchmark at MOOC scale: `python -m bench.forum [--learners N --threads N --posts N]`.

Generates one course with COPY into a dedicated database (the embedded PostgreSQL under
--data-dir, or AGORA_BENCH_DATABASE_URL's server), serves the app with uvicorn in a subprocess on
a loopback port, and measures thread page, thread list, post create and search with concurrent
httpx clients, each beside a baseline: the same service SQL straight through asyncpg, no HTTP.
The pages (HTML thread page and thread list, a reply and a vote from the thread page) are each
measured beside the JSON request of the same data in the same run (the vote beside its SQL),
with the SQL statements one request runs, and a profile of where an HTML thread page's time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from agora.db import migrate
from agora.redis import create_redis
from agora.sessions import create_session

from .generate import Scale, generate
from .measure import (
    HTML_BASELINES,
    baseline_pool,
    count_statements,
    count_thread_page_queries,
    direct_calls,
    http_calls,
    run_load,
)

DB_NAME = "agora_bench_forum"
SESSIONS = 5_000


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.forum", description=__doc__)
    p.add_argument("--learners", type=int, default=100_000)
    p.add_argument("--threads", type=int, default=100_000)
    p.add_argument("--posts", type=int, default=1_000_000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--seconds", type=float, default=10.0, help="measured time per scenario")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds per round")
    p.add_argument("--rounds", type=int, default=3, help="HTTP/baseline alternations")
    p.add_argument("--pool", type=int, default=10, help="PostgreSQL pool size, app and baseline")
    p.add_argument("--data-dir", default=os.environ.get("AGORA_BENCH_DATA_DIR", ".agora/bench"))
    p.add_argument("--reuse", action="store_true", help="keep data generated at the same scale")
    p.add_argument("--processes", default="1", help="HTTP process counts to measure, e.g. 1,2")
    p.add_argument("--server", choices=("granian", "uvicorn"), default="granian")
    p.add_argument(
        "--only", action="append", default=[], help="the scenarios whose name starts with this"
    )
    return p.parse_args(argv)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@contextlib.contextmanager
def servers(data_dir: Path):
    """Database server and Redis URLs: from the environment, or embedded under data_dir."""
    pg_url = os.environ.get("AGORA_BENCH_DATABASE_URL", "")
    redis_url = os.environ.get("AGORA_BENCH_REDIS_URL", "")
    stops = []
    if not pg_url or not redis_url:
        from agora.embedded import start_postgres, start_redis

        data_dir.mkdir(parents=True, exist_ok=True)
        if not pg_url:
            pg_url, stop = start_postgres(data_dir)
            stops.append(stop)
        if not redis_url:
            redis_url, stop = start_redis(data_dir)
            stops.append(stop)
    try:
        yield pg_url, redis_url
    finally:
        for stop in stops:
            with contextlib.suppress(Exception):
                stop()


async def prepare(admin_url: str, scale: Scale, reuse: bool) -> tuple[str, dict]:
    url = _with_database(admin_url, DB_NAME)
    admin = await asyncpg.connect(admin_url)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME)
        if exists and reuse:
            conn = await asyncpg.connect(url)
            try:
                meta = await conn.fetchrow("SELECT * FROM bench_meta")
                if meta and tuple(meta["scale"]) == (scale.learners, scale.threads, scale.posts):
                    from agora.db import init_connection

                    await init_connection(conn)
                    await migrate(conn)  # migrations added since the data was generated
                    return url, dict(meta)
            except asyncpg.UndefinedTableError:
                pass
            finally:
                await conn.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(url)
    try:
        from agora.db import init_connection

        await init_connection(conn)
        await migrate(conn)
        print(f"generating {scale.learners:,} learners, {scale.threads:,} threads, "
              f"{scale.posts:,} posts with COPY ...", flush=True)  # fmt: skip
        g = await generate(conn, scale, log=lambda m: print(m, flush=True))
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
        await conn.execute(
            """CREATE TABLE bench_meta (scale int[], course_id bigint, learner_ids bigint[],
                                        big_threads bigint[], seconds float8, size text)"""
        )
        await conn.execute(
            "INSERT INTO bench_meta VALUES ($1, $2, $3, $4, $5, $6)",
            [scale.learners, scale.threads, scale.posts], g.course_id, g.learner_ids[:SESSIONS],
            g.big_threads, g.seconds, size,
        )  # fmt: skip
        return url, dict(await conn.fetchrow("SELECT * FROM bench_meta"))
    finally:
        await conn.close()


async def issue_sessions(url: str, meta: dict) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        from agora.db import init_connection

        await init_connection(conn)
        async with conn.transaction():
            return [
                await create_session(
                    conn, user_id=u, course_id=meta["course_id"], role="learner", ttl_seconds=7200
                )
                for u in meta["learner_ids"]
            ]
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_ready(base: str, process: subprocess.Popen) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError("the app under benchmark exited")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the app did not become ready")


def table(rows: list[tuple]) -> str:
    header = ("scenario", "HTTP req/s", "p50 ms", "p99 ms", "baseline", "req/s", "p50 ms",
              "p99 ms", "ratio", "SQL/req", "errors")  # fmt: skip
    lines = [header, *rows]
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(header))]
    out = []
    for n, row in enumerate(lines):
        out.append(
            "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


async def bench(args, admin_url: str, redis_url: str) -> None:
    scale = Scale(args.learners, args.threads, args.posts)
    t0 = time.perf_counter()
    url, meta = await prepare(admin_url, scale, args.reuse)
    print(f"data: {meta['size']}, generated in {meta['seconds']:.0f} s "
          f"(ready after {time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
    tokens = await issue_sessions(url, meta)
    load = os.getloadavg()[0]
    conn = await asyncpg.connect(url)
    try:
        small = await conn.fetchval(
            "SELECT id FROM forum_threads WHERE reply_count = 0 AND NOT hidden LIMIT 1"
        )
        huge = await conn.fetchval(
            "SELECT id FROM forum_threads WHERE reply_count >= 100 ORDER BY id LIMIT 1"
        )
        post_threads = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM forum_threads WHERE NOT locked ORDER BY id DESC LIMIT 2000"
            )
        ]
        # Replies in the big threads, those by authors without a bench session first (a vote
        # for one's own post is refused: counted as an error).
        vote_posts = [
            (r["thread_id"], r["id"])
            for r in await conn.fetch(
                """SELECT thread_id, id FROM forum_posts
                    WHERE course_id = $1 AND thread_id = ANY($2::bigint[])
                      AND parent_id IS NOT NULL AND NOT deleted AND NOT hidden
                    ORDER BY author_id = ANY($3::bigint[]), id LIMIT 2000""",
                meta["course_id"], list(meta["big_threads"]), list(meta["learner_ids"]),
            )
        ]  # fmt: skip
    finally:
        await conn.close()
    from .measure import Workload

    work = Workload(meta["course_id"], tokens, list(meta["big_threads"]), post_threads, vote_posts)
    redis = create_redis(redis_url)
    counts = await count_thread_page_queries(
        url, redis, tokens[0],
        {"1 post": (small, 50), "50 posts": (huge, 50), "100 posts": (huge, 100)},
    )  # fmt: skip
    statements = await count_statements(url, redis, tokens[1], probes(work))
    profiled = not args.only or any("HTML thread page".startswith(o) for o in args.only)
    split = await profile_split(url, redis, tokens[2], work) if profiled else []
    rows = []
    for processes in [int(n) for n in args.processes.split(",")]:
        rows += await measure_served(args, url, redis_url, redis, work, statements, processes)
    await redis.aclose()
    print()
    print(
        f"Forum benchmark: 1 course, {scale.learners:,} learners, {scale.threads:,} threads, "
        f"{scale.posts:,} posts ({meta['size']}); {args.concurrency} concurrent clients, "
        f"{args.seconds:.0f} s per scenario and side in {args.rounds} rounds, pool {args.pool} "
        f"(shared by the app's processes), {args.server}, "
        f"{os.cpu_count()} CPUs shared by clients, app and PostgreSQL; "
        f"load average at start: {load:.1f}"
    )
    print(table(rows))
    print()
    print("Queries per thread-page request (session lookup included): " + ", ".join(
        f"{label} page → {q} queries ({n} posts returned)"
        for label, (n, q) in counts.items()
    ))  # fmt: skip
    print("SQL/req: statements one request runs (session lookup included, transaction control "
          "left out); ratio: HTTP req/s over the baseline's.")  # fmt: skip
    if split:
        print()
        print("Where an HTML thread page's time goes (50 posts, in process, cProfile, ms/request):")
    for group, ms in split:
        print(f"  {group:<42} {ms:7.2f}")


async def measure_served(args, url, redis_url, redis, work, statements, processes) -> list:
    """Each selected scenario against the app served by `processes` HTTP processes."""
    port = free_port()
    env = os.environ | {
        "AGORA_DATABASE_URL": url, "AGORA_REDIS_URL": redis_url,
        "AGORA_DB_POOL_MIN": str(args.pool), "AGORA_DB_POOL_MAX": str(args.pool),
    }  # fmt: skip
    env = {k: v for k, v in env.items() if not k.startswith("AGORA_BENCH")}
    # Started once, before any load: blocking for a moment here measures nothing.
    process = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-m", "bench.forum.server", str(port), str(processes), args.server],
        env=env,
    )
    rows = []
    suffix = f", {processes} proc" if args.processes != "1" else ""
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, process)
        limits = httpx.Limits(max_connections=args.concurrency)
        pool = await baseline_pool(url, args.pool)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            via_http = http_calls(client, work)
            via_sql = direct_calls(pool, redis, work)
            for name in via_http:
                if args.only and not any(name.startswith(o) for o in args.only):
                    continue
                print(f"measuring {name}{suffix} ...", flush=True)
                # HTTP and baseline alternate in short rounds, so load from other processes
                # on this machine weighs on both alike.
                base_name = HTML_BASELINES.get(name)
                baseline = via_http[base_name] if base_name else via_sql[name]
                h = s = None
                for _ in range(args.rounds):
                    share = args.seconds / args.rounds
                    hr = await run_load(via_http[name], concurrency=args.concurrency,
                                        seconds=share, warmup=args.warmup)  # fmt: skip
                    sr = await run_load(baseline, concurrency=args.concurrency,
                                        seconds=share, warmup=args.warmup)  # fmt: skip
                    h, s = (hr, sr) if h is None else (h + hr, s + sr)
                rows.append((
                    name + suffix, f"{h.rps:.0f}", f"{h.percentile_ms(50):.1f}",
                    f"{h.percentile_ms(99):.1f}", "JSON over HTTP" if base_name else "SQL",
                    f"{s.rps:.0f}", f"{s.percentile_ms(50):.1f}",
                    f"{s.percentile_ms(99):.1f}", f"{h.rps / s.rps:.2f}",
                    str(statements.get(name, "")), str(h.errors + s.errors),
                ))  # fmt: skip
        await pool.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return rows


def probes(w) -> dict:
    """One request of each scenario, for counting its statements."""
    ui = f"/ui/courses/{w.course_id}/forum"
    thread_id, post_id = w.vote_post(0)
    htmx = {"HX-Request": "true"}
    return {
        "thread page (50 posts)": ("GET", f"/api/v1/threads/{w.thread(0)}?limit=50", None, {}),
        "HTML thread page (50 posts)": ("GET", f"{ui}/threads/{w.thread(0)}", None, {}),
        "thread list (20)": ("GET", f"/api/v1/courses/{w.course_id}/threads?limit=20", None, {}),
        "HTML thread list (20)": ("GET", f"{ui}/threads", None, {}),
        "reply from the page": (
            "POST", f"{ui}/threads/{w.post_thread(0)}/posts", {"body": "counted reply"}, htmx,
        ),
        "vote from the page": (
            "POST", f"{ui}/threads/{thread_id}/posts/{post_id}/vote", {"value": "1"}, htmx,
        ),
    }  # fmt: skip


async def profile_split(database_url: str, redis, token: str, w) -> list[tuple[str, float]]:
    from agora.app import create_app
    from agora.db import Database, create_pool
    from agora.settings import load_settings

    from .profile import profile_page

    pool = await create_pool(database_url, min_size=1, max_size=1)
    app = create_app(
        load_settings(environ={}, database_url=database_url, redis_url="redis://unused"),
        database=Database(pool=pool),
        redis=redis,
    )
    try:
        url = f"/ui/courses/{w.course_id}/forum/threads/{w.thread(0)}"
        return await profile_page(app, url, token)
    finally:
        await pool.close()


def main(argv=None) -> None:
    import logging

    # The load generator shares the CPUs with the app: no per-request client logging.
    for name in ("httpx", "httpcore", "pgserver"):
        logging.getLogger(name).setLevel(logging.WARNING)
    args = parse_args(argv)
    with servers(Path(args.data_dir).resolve()) as (admin_url, redis_url):
        asyncio.run(bench(args, admin_url, redis_url))


if __name__ == "__main__":
    main()
