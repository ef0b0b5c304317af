"""Peer-review benchmark: allocation, dynamic `reviews/next`, grading time, grading accuracy.

    python -m bench.peerreview [--n 160000] [--clients 64] [--quick] [--scale-only]

Runs against a fresh database on the embedded PostgreSQL (or on the server at
AGORA_BENCH_DATABASE_URL, where it creates and drops its own database). Accuracy is measured on
synthetic courses drawn from the PG1 model, with and without careless graders, and the median and
mean baselines are computed in the same run on the same reviews: RMSE, and how often each
method's stated 90% interval holds the true grade (coverage, which should be near 0.90).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np

from agora.db import create_pool, migrate
from agora.lti.ags import PUBLISH_BATCH, request_score_passback
from agora.sessions import Principal
from peerreview import schemas as s
from peerreview.allocation import allocate_individual
from peerreview.grading import Z90, accuracy, grade
from peerreview.service import allocations as allocations_service
from peerreview.service import assignments as assignments_service
from peerreview.service import grades as grades_service
from peerreview.service import passback as passback_service
from peerreview.service import review_quality as review_quality_service
from peerreview.service import reviews as reviews_service
from peerreview.synthetic import pg1_course

RUBRIC = [
    s.Criterion(
        name="Quality",
        options=[s.Option(label=str(p), points=p) for p in (0, 2, 4, 6, 8, 10)],
    ),
    s.Criterion(
        name="Evidence",
        options=[s.Option(label=str(p), points=p) for p in (0, 2, 4, 6, 8, 10)],
    ),
]


def line(label: str, value: str) -> None:
    print(f"  {label:<64} {value}")


# ---- pure (numpy) parts -------------------------------------------------------------------------


def bench_allocation(n: int, k: int) -> None:
    print(f"\nBatch allocation, {n:,} submissions, k = {k} (numpy, no database)")
    t = time.perf_counter()
    result = allocate_individual(n, k, seed=1)
    line("individual submissions", f"{time.perf_counter() - t:6.2f} s")
    groups = np.random.default_rng(2).permutation(np.arange(n) // 3)
    t = time.perf_counter()
    result = allocate_individual(n, k, seed=2, groups=groups)
    elapsed = time.perf_counter() - t
    line("LMS groups of 3 (teammates excluded)", f"{elapsed:6.2f} s, {result.repaired} repaired")
    counts = np.bincount(result.submission, minlength=n)
    ok = (
        counts.min() == counts.max() == k
        and not np.any(groups[result.reviewer] == groups[result.submission])
        and np.unique(result.reviewer * n + result.submission).size == n * k
    )
    line("exact k each way, no self/teammate/repeat", "yes" if ok else "NO")


def bench_grading_time(n: int, k: int) -> None:
    print(f"\nGrading time, {n:,} submissions x {k} reviews (numpy, no database)")
    course = pg1_course(n, k, seed=3, careless_share=0.15)
    for method in ("calibrated", "median", "mean"):
        t = time.perf_counter()
        result = grade(course.reviews, method, lo=0, hi=20)
        extra = f" ({result.iterations} VB iterations)" if method == "calibrated" else ""
        line(method, f"{time.perf_counter() - t:6.2f} s{extra}")


# The 90% intervals (grading.Z90 × confidence) were tuned on seeds 100-101 (the t interval's
# pooled weight; the calibrated sd has no tuned constant); the benchmark reports other seeds.
REPORT_SEED = 200


def bench_accuracy(n: int, seeds: int) -> None:
    print(
        f"\nAccuracy on synthetic PG1 courses ({n:,} submissions, scores 0-20, mean of {seeds} "
        f"held-out seeds from {REPORT_SEED})"
    )
    print(
        "  90% interval: calibrated, grade ± 1.645 posterior sd; median and mean, a Student-t "
        "interval\n  over the reviews (variance shrunk to the pooled one); coverage = share "
        "holding the truth"
    )
    print(
        f"  {'scenario':<44} {'method':<11} {'RMSE':>6} {'within 5%':>10} {'coverage':>9} "
        f"{'± width':>8} {'doubtful':>9}"
    )
    scenarios = [
        ("PG1, k = 4 (honest graders)", 4, {}),
        ("PG1 + 10% careless", 4, {"careless_share": 0.10}),
        ("PG1 + 20% careless", 4, {"careless_share": 0.20}),
        ("PG1 + 20% careless, 3 calibration examples", 4, {"careless_share": 0.20,
                                                          "calibration_examples": 3}),
        ("PG1, k = 3, noisier graders (sd 2.5)", 3, {"noise_sd": 2.5}),
        ("PG1, k = 5, wider biases (sd 2.5)", 5, {"bias_sd": 2.5}),
    ]  # fmt: skip
    for name, k, options in scenarios:
        results: dict[str, list] = {"calibrated": [], "median": [], "mean": []}
        for seed in range(seeds):
            course = pg1_course(n, k, seed=REPORT_SEED + seed, **options)
            for method in results:
                fit = grade(course.reviews, method, lo=0, hi=20, calibration=course.calibration)
                rmse, within = accuracy(fit.grade, course.truth, 20)
                half_width = Z90 * fit.confidence
                held = float(np.mean(np.abs(fit.grade - course.truth) <= half_width))
                width = float(np.mean(half_width))
                results[method].append((rmse, within, held, width, float(fit.doubtful.mean())))
        for method, values in results.items():
            rmse, within, held, width, doubtful = np.mean(values, axis=0)
            print(
                f"  {name:<44} {method:<11} {rmse:6.3f} {within:10.1%} {held:9.3f} "
                f"{width:8.2f} {doubtful:9.1%}"
            )


# ---- database parts ------------------------------------------------------------------------------


async def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"agora_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = urlunsplit(urlsplit(admin_url)._replace(path="/" + name))
    connection = await asyncpg.connect(url)
    try:
        await migrate(connection)
    finally:
        await connection.close()
    return url, name


async def drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def make_course(conn, n: int, *, mode: str, k: int, required: int) -> tuple[int, int, int]:
    """A course with n learners who all submitted, set-based. Returns (course, assignment,
    first learner id); learner ids are consecutive."""
    tag = secrets.token_hex(4)
    platform = await conn.fetchval(
        """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url)
           VALUES ($1, 'bench', 'https://x/a', 'https://x/t', 'https://x/j') RETURNING id""",
        f"https://bench-{tag}.test",
    )
    await conn.execute("INSERT INTO deployments VALUES ($1, 'd')", platform)
    course = await conn.fetchval(
        """INSERT INTO courses (platform_id, deployment_id, context_id, title)
           VALUES ($1, 'd', $2, 'Bench') RETURNING id""",
        platform,
        tag,
    )
    instructor = await conn.fetchval(
        "INSERT INTO users (platform_id, sub) VALUES ($1, 'teacher') RETURNING id", platform
    )
    await conn.execute(
        "INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, 'instructor')",
        course,
        instructor,
    )
    first = await conn.fetchval(
        """WITH u AS (INSERT INTO users (platform_id, sub)
                      SELECT $1, 'l' || g FROM generate_series(1, $2) g RETURNING id)
           SELECT min(id) FROM u""",
        platform,
        n,
    )
    await conn.execute(
        """INSERT INTO memberships (course_id, user_id, role)
           SELECT $1, g, 'learner' FROM generate_series($2::bigint, $2 + $3 - 1) g""",
        course,
        first,
        n,
    )
    teacher = Principal(user_id=instructor, course_id=course, role="instructor")
    assignment = await assignments_service.create_assignment(
        conn,
        teacher,
        course,
        s.AssignmentCreate(
            title="Bench essay",
            rubric=RUBRIC,
            reviews_per_submission=k,
            reviews_required=required,
            allocation_mode=mode,
        ),
    )
    await assignments_service.change_phase(conn, teacher, assignment.id, "submission")
    await conn.execute(
        """INSERT INTO pr_submissions (course_id, assignment_id, owner_key, author_id, body,
               body_html)
           SELECT $1, $2, 'u:' || g, g, 'essay', '<p>essay</p>'
             FROM generate_series($3::bigint, $3 + $4 - 1) g""",
        course,
        assignment.id,
        first,
        n,
    )
    return course, assignment.id, first


async def bench_db_allocation_and_grading(url: str, n: int, k: int) -> None:
    print(f"\nEnd to end in PostgreSQL, {n:,} submissions, k = {k}")
    conn = await asyncpg.connect(url)
    from agora.db import init_connection

    await init_connection(conn)
    try:
        t = time.perf_counter()
        async with conn.transaction():
            course, aid, first = await make_course(conn, n, mode="batch", k=k, required=k)
        line("set-up: learners, memberships, submissions", f"{time.perf_counter() - t:6.2f} s")
        t = time.perf_counter()
        async with conn.transaction():
            run = await allocations_service.allocate_batch(conn, course, aid)
        line(
            "batch allocation job (load, numpy, insert allocations)",
            f"{time.perf_counter() - t:6.2f} s, {run.allocations:,} rows",
        )
        # every allocation becomes a review with a PG1 score per criterion
        rng = np.random.default_rng(5)
        rows = await conn.fetch(
            "SELECT id, submission_id, reviewer_id FROM pr_allocations WHERE course_id = $1",
            course,
        )
        alloc = np.array([(r[0], r[1], r[2]) for r in rows], dtype=np.int64)
        true = rng.normal(6, 1.5, (n, 2))
        bias = rng.normal(0, 1, n)
        sub_i, rev_i = alloc[:, 1] - alloc[:, 1].min(), alloc[:, 2] - first
        noisy = true[sub_i] + bias[rev_i, None] + rng.normal(0, 1.2, (len(alloc), 2))
        choices = np.clip(np.round(noisy / 2), 0, 5).astype(np.int64)
        t = time.perf_counter()
        async with conn.transaction():
            await conn.execute(
                """INSERT INTO pr_reviews (course_id, assignment_id, submission_id, reviewer_id,
                       allocation_id, choices, scores, total)
                   SELECT $1, $2, s, r, a, ARRAY[c0, c1], ARRAY[2.0 * c0, 2.0 * c1],
                          2.0 * (c0 + c1)
                     FROM unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::int[], $7::int[])
                          AS x(a, s, r, c0, c1)""",
                course,
                aid,
                alloc[:, 0].tolist(),
                alloc[:, 1].tolist(),
                alloc[:, 2].tolist(),
                choices[:, 0].tolist(),
                choices[:, 1].tolist(),
            )
        line("set-up: insert the reviews", f"{time.perf_counter() - t:6.2f} s")
        t = time.perf_counter()
        async with conn.transaction():
            graded = await grades_service.run_grading(conn, course, aid)
        line(
            "grading job, calibrated (load, fit total + 2 criteria, store)",
            f"{time.perf_counter() - t:6.2f} s, {graded.graded:,} grades, "
            f"{graded.doubtful:,} doubtful",
        )
        # part of the grading job above; alone, as after helpfulness ratings (no refit)
        t = time.perf_counter()
        async with conn.transaction():
            scored = await review_quality_service.rescore(conn, course, aid)
        line(
            "review-quality scoring of every reviewer (read, numpy, store)",
            f"{time.perf_counter() - t:6.2f} s, {scored or 0:,} reviewers",
        )
        await bench_release(conn, course, aid, first, n)
    finally:
        await conn.close()


async def bench_release(conn, course: int, aid: int, first: int, n: int) -> None:
    """Release and passback of every grade (issue 13.9), beside the same work in raw SQL and
    the per-learner path it replaced, in the same run."""
    teacher = Principal(user_id=first - 1, course_id=course, role="instructor")
    statements: list[str] = []

    def log(record) -> None:
        statements.append(record.query)

    conn.add_query_logger(log)
    t = time.perf_counter()
    async with conn.transaction():
        await assignments_service.change_phase(conn, teacher, aid, "released")
    release = time.perf_counter() - t
    t = time.perf_counter()
    async with conn.transaction():
        requested = await passback_service.passback(conn, course, aid)
    send = time.perf_counter() - t
    await asyncio.sleep(0)  # asyncpg calls loggers soon after the query
    conn.remove_query_logger(log)
    counted = [q for q in statements if not q.lstrip().upper().startswith(("BEGIN", "COMMIT"))]
    jobs = await conn.fetchval(
        "SELECT count(*) FROM outbox WHERE course_id = $1 AND job = 'lti_publish_scores'", course
    )
    line("release: phase change (one UPDATE of every grade)", f"{release:6.2f} s")
    line(
        "passback job: read scores, record them, enqueue batch jobs",
        f"{send:6.2f} s, {requested:,} scores, {jobs:,} jobs of <= {PUBLISH_BATCH}",
    )
    line("SQL statements, release + passback job", f"{len(counted)}")
    # The same work in raw SQL (a lower bound: no Python, no arrays through the driver), rolled
    # back: grades back to unreleased, then released, recorded and batched in two statements.
    tr = conn.transaction()
    await tr.start()
    try:
        await conn.execute(
            "UPDATE pr_grades SET released_at = NULL WHERE course_id = $1 AND assignment_id = $2",
            course,
            aid,
        )
        t = time.perf_counter()
        await conn.execute(
            """UPDATE pr_grades SET released_at = now()
                WHERE course_id = $1 AND assignment_id = $2 AND released_at IS NULL""",
            course,
            aid,
        )
        await conn.execute(
            """WITH changed AS (
                   INSERT INTO lti_score_passbacks (course_id, resource_id, user_id, label,
                          score_maximum, score_given, score_timestamp)
                   SELECT g.course_id, 'baseline', s.author_id, 'Bench essay', 20,
                          round(g.final_score::numeric, 2), g.released_at
                     FROM pr_grades g JOIN pr_submissions s
                          ON s.course_id = g.course_id AND s.id = g.submission_id
                    WHERE g.course_id = $1 AND g.assignment_id = $2
                   RETURNING user_id),
               batches AS (
                   SELECT array_agg(user_id) AS users FROM (
                       SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1) / $3 AS b
                         FROM changed) c GROUP BY b)
               INSERT INTO outbox (course_id, job, args)
               SELECT $1, 'baseline', jsonb_build_array($1::bigint, 'baseline', to_jsonb(users))
                 FROM batches""",
            course,
            aid,
            PUBLISH_BATCH,
        )
        line(
            "baseline: raw SQL release + INSERT ... SELECT of the scores and jobs",
            f"{time.perf_counter() - t:6.2f} s",
        )
    finally:
        await tr.rollback()
    # The per-learner path it replaced (one upsert and one outbox row per learner), on a sample.
    sample = min(n, 5_000)
    rows = await conn.fetch(
        """SELECT s.author_id, g.final_score, g.released_at FROM pr_grades g
             JOIN pr_submissions s ON s.course_id = g.course_id AND s.id = g.submission_id
            WHERE g.course_id = $1 AND g.assignment_id = $2 ORDER BY s.author_id LIMIT $3""",
        course,
        aid,
        sample,
    )
    tr = conn.transaction()
    await tr.start()
    try:
        t = time.perf_counter()
        for r in rows:
            await request_score_passback(
                conn, course_id=course, resource_id="per-learner", label="Bench essay",
                score_maximum=20, user_id=r["author_id"], score_given=r["final_score"],
                timestamp=r["released_at"],
            )  # fmt: skip
        per = (time.perf_counter() - t) / max(len(rows), 1)
    finally:
        await tr.rollback()
    line(
        f"before: per-learner upsert + outbox row ({sample:,} measured)",
        f"{per * 1000:6.3f} ms each, {per * n:6.1f} s for {n:,} (extrapolated)",
    )


async def bench_dynamic(url: str, n: int, clients: int, k: int) -> None:
    print(f"\nDynamic reviews/next, {n:,} learners, {clients} concurrent clients, k = {k}")
    pool = await create_pool(url, min_size=clients, max_size=clients)
    try:
        async with pool.acquire() as conn, conn.transaction():
            course, aid, first = await make_course(conn, n, mode="dynamic", k=k, required=k)
            teacher = Principal(user_id=first - 1, course_id=course, role="instructor")
            await assignments_service.change_phase(conn, teacher, aid, "review")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for user in range(first, first + n):
            queue.put_nowait(user)
        calls = Counter()
        latencies: list[float] = []

        async def client() -> None:
            while not queue.empty():
                user = queue.get_nowait()
                me = Principal(user_id=user, course_id=course, role="learner")
                for _ in range(k):
                    started = time.perf_counter()
                    async with pool.acquire() as conn, conn.transaction():
                        task = await allocations_service.next_review(conn, me, aid)
                    latencies.append(time.perf_counter() - started)
                    calls["next"] += 1
                    if not task.available:
                        calls["unavailable"] += 1
                        break
                    async with pool.acquire() as conn, conn.transaction():
                        await reviews_service.create_review(
                            conn,
                            me,
                            aid,
                            s.ReviewCreate(allocation_id=task.allocation_id, choices=[3, 2]),
                        )
                    calls["reviews"] += 1

        t = time.perf_counter()
        await asyncio.gather(*[client() for _ in range(clients)])
        elapsed = time.perf_counter() - t
        async with pool.acquire() as conn:
            check = await conn.fetchrow(
                """SELECT count(*) AS live,
                          count(*) - count(DISTINCT (a.reviewer_id, a.submission_id)) AS repeats,
                          count(*) FILTER (WHERE a.reviewer_id = s.author_id) AS own
                     FROM pr_allocations a
                     JOIN pr_submissions s ON s.course_id = a.course_id AND s.id = a.submission_id
                    WHERE a.course_id = $1 AND a.state IN ('assigned', 'leased', 'completed')""",
                course,
            )
            inconsistent = await conn.fetchval(
                """SELECT count(*) FROM pr_submissions s
                    WHERE s.course_id = $1 AND s.review_load <> (
                          SELECT count(*) FROM pr_allocations a
                           WHERE a.course_id = s.course_id AND a.submission_id = s.id
                             AND a.state IN ('assigned', 'leased', 'completed'))""",
                course,
            )
            spread = await conn.fetchrow(
                """SELECT min(reviews_done) AS lo, max(reviews_done) AS hi
                     FROM pr_submissions WHERE course_id = $1""",
                course,
            )
        lat = np.array(latencies) * 1000
        line(
            "reviews/next calls (lease, service + PostgreSQL)",
            f"{calls['next']:,} in {elapsed:5.1f} s = {calls['next'] / elapsed:7.0f} /s",
        )
        line("reviews submitted", f"{calls['reviews']:,} ({calls['reviews'] / elapsed:.0f} /s)")
        line(
            "reviews/next latency p50 / p95 / p99",
            f"{np.percentile(lat, 50):.1f} / {np.percentile(lat, 95):.1f} / "
            f"{np.percentile(lat, 99):.1f} ms",
        )
        line(
            "double assignments (repeated pair / own work / load drift)",
            f"{check['repeats']} / {check['own']} / {inconsistent}",
        )
        line("reviews per submission (min-max)", f"{spread['lo']}-{spread['hi']}")
    finally:
        await pool.close()


async def database_parts(args) -> None:
    admin_url = os.environ.get("AGORA_BENCH_DATABASE_URL", "")
    stop = None
    if not admin_url:
        from agora.embedded import start_postgres

        data_dir = Path(tempfile.mkdtemp(prefix="agora-bench-"))
        admin_url, stop = start_postgres(data_dir)
        print(f"\n(embedded PostgreSQL under {data_dir})")
    url, name = await fresh_database(admin_url)
    try:
        if not args.scale_only:
            await bench_dynamic(url, args.dynamic_learners, args.clients, 4)
        await bench_db_allocation_and_grading(url, args.n, 4)
    finally:
        await drop_database(admin_url, name)
        if stop is not None:
            stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peerreview")
    parser.add_argument("--n", type=int, default=160_000, help="submissions at scale")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--dynamic-learners", type=int, default=5_000)
    parser.add_argument("--accuracy-n", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--no-db", action="store_true", help="skip the PostgreSQL parts")
    parser.add_argument(
        "--scale-only",
        action="store_true",
        help="only the end-to-end PostgreSQL run at --n (allocation, grading, release, passback)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.dynamic_learners, args.accuracy_n, args.seeds = 5_000, 300, 2_000, 1
        args.clients = min(args.clients, 16)
    print("Agora peer-review benchmark")
    if not args.scale_only:
        bench_allocation(args.n, 4)
        bench_grading_time(args.n, 4)
        bench_accuracy(args.accuracy_n, args.seeds)
    if not args.no_db:
        asyncio.run(database_parts(args))


if __name__ == "__main__":
    main()
