"""The deadline jobs on one MOOC course: how long a reminder run and a phase-switch run take.

    python -m bench.peerreview.deadlines [--learners 160000] [--submitted 100000]

One course of `learners` learners, a self-paced assignment due in five hours that `submitted` of
them have submitted: the first reminder run writes a reminder for everyone else, the next ones
find nothing new (what the worker does every REMINDER_MINUTES while the deadline is near), and a
switch run at the deadline moves the assignment to review. Runs against a fresh database on the
embedded PostgreSQL (or on the server at AGORA_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from agora.db import init_connection
from bench.peerreview.__main__ import drop_database, fresh_database
from peerreview.service import deadlines


async def populate(conn: asyncpg.Connection, learners: int, submitted: int) -> datetime:
    platform = await conn.fetchval(
        """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url)
           VALUES ('https://lms.bench', 'c', 'https://lms.bench/a', 'https://lms.bench/t',
                   'https://lms.bench/k') RETURNING id"""
    )
    course = await conn.fetchval(
        """INSERT INTO courses (platform_id, deployment_id, context_id, title)
           VALUES ($1, 'd', 'mooc', 'MOOC') RETURNING id""",
        platform,
    )
    await conn.execute(
        """INSERT INTO users (platform_id, sub, name, email)
           SELECT $1, 'u' || i, 'Learner ' || i, 'u' || i || '@lms.bench'
             FROM generate_series(0, $2) i""",
        platform,
        learners,
    )
    await conn.execute(
        """INSERT INTO memberships (course_id, user_id, role)
           SELECT $1, id, CASE WHEN sub = 'u0' THEN 'instructor' ELSE 'learner' END FROM users""",
        course,
    )
    due = datetime.now(UTC) + timedelta(hours=5)
    assignment = await conn.fetchval(
        """INSERT INTO pr_assignments (course_id, title, rubric, points_possible,
                reviews_per_submission, reviews_required, phase, submission_deadline,
                review_deadline, allocation_mode, created_by)
           VALUES ($1, 'Essay', '[]', 10, 4, 4, 'submission', $2, $3, 'dynamic', 1)
           RETURNING id""",
        course,
        due,
        due + timedelta(days=3),
    )
    await conn.execute(
        """INSERT INTO pr_submissions (course_id, assignment_id, owner_key, author_id, body,
                body_html)
           SELECT $1, $2, 'u:' || id, id, 'An essay', '<p>An essay</p>' FROM users
            WHERE sub <> 'u0' ORDER BY id LIMIT $3""",
        course,
        assignment,
        submitted,
    )
    await conn.execute("ANALYZE")
    return due


async def measure(url: str, learners: int, submitted: int) -> None:
    conn = await asyncpg.connect(url)
    await init_connection(conn)
    try:
        due = await populate(conn, learners, submitted)
        print(f"\nDeadline jobs, one course: {learners:,} learners, {submitted:,} submitted")
        for label in ("first reminder run", "second reminder run", "third reminder run"):
            started = time.perf_counter()
            written = await deadlines.write_reminders(conn)
            elapsed = time.perf_counter() - started
            print(f"  {label:<28} {elapsed:6.2f} s  {written:,} reminders written")
        started = time.perf_counter()
        run = await deadlines.run_deadlines(conn, due + timedelta(minutes=1), reminders=False)
        elapsed = time.perf_counter() - started
        print(f"  {'switch run at the deadline':<28} {elapsed:6.2f} s  {run.switched}")
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> None:
    admin_url = os.environ.get("AGORA_BENCH_DATABASE_URL", "")
    stop = None
    if not admin_url:
        from agora.embedded import start_postgres

        data_dir = Path(tempfile.mkdtemp(prefix="agora-bench-"))
        admin_url, stop = start_postgres(data_dir)
    url, name = await fresh_database(admin_url)
    try:
        await measure(url, args.learners, args.submitted)
    finally:
        await drop_database(admin_url, name)
        if stop is not None:
            stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peerreview.deadlines")
    parser.add_argument("--learners", type=int, default=160_000)
    parser.add_argument("--submitted", type=int, default=100_000)
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
