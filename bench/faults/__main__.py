"""`python -m bench.faults` (make faults): Agora under load while its servers fail.

Starts a private PostgreSQL and Redis, Agora's app and worker, seeds a course, and runs
`--clients` clients replying to threads through the API. Meanwhile: Redis is killed (SIGKILL)
and restarted, PostgreSQL is restarted `--restarts` times (alternately `-m fast` and
`-m immediate`), the worker is killed mid-run and the app is killed, each restarted as compose's
restart policy would (the app and worker must ride out the server failures on their own).
Then it waits for every job to run and reports acknowledged writes, lost
and duplicate writes, lost and duplicate reply notifications, and every answer's status. It
exits 1 if an acknowledged write or a notification is lost or duplicated, an answer is a 500,
a client gave up, or the app or worker died by itself. `--short` is the CI version (8 clients,
one restart of each kind, no worker kill; 45-60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis as RedisClient

from bench.faults.check import Findings, inspect, wait_drained
from bench.faults.load import Tally, create_threads, run_clients, seed
from bench.faults.servers import AgoraProcess, Postgres, Redis, free_port, wait_healthy


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the CI version: fewer of each")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--restarts", type=int, default=10, help="PostgreSQL restarts")
    parser.add_argument("--hold", type=float, default=4.0, help="seconds of load after a fault")
    parser.add_argument("--max-replies", type=int, default=20_000, help="bound on the load")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    args = parser.parse_args(argv)
    # The short run leaves out the worker kill: its jobs come back only when their 30 s lease
    # runs out, which would double the run (tests/agora/test_worker.py covers that on its own).
    args.kill_worker = not args.short
    if args.short:
        args.clients, args.restarts, args.hold = min(args.clients, 8), 2, 2.0
    return args


class Run:
    def __init__(self, args: argparse.Namespace, directory: Path) -> None:
        self.args = args
        self.postgres = Postgres(directory)
        self.redis = Redis(directory)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.directory = directory
        self.faults: list[str] = []
        self.died: list[str] = []

    def agora_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
        env.update(
            AGORA_DATABASE_URL=self.postgres.url, AGORA_REDIS_URL=self.redis.url,
            AGORA_HOST="127.0.0.1", AGORA_PORT=str(self.port), AGORA_LOG_LEVEL="warning",
            AGORA_DATA_DIR=str(self.directory / "data"),
        )  # fmt: skip
        return env

    def check_alive(self, after: str) -> None:
        """The app and worker must ride out a server failure without restarting."""
        for process in (self.app, self.worker):
            if not process.alive:
                self.died.append(f"{process.role} exited by itself after {after}")
                process.start()

    async def hold(self) -> None:
        await asyncio.sleep(self.args.hold)

    async def jobs_in_progress(self) -> int:
        client = RedisClient.from_url(self.redis.url)
        try:
            return len(await client.keys("arq:in-progress:*"))
        finally:
            await client.aclose()

    async def inject(self) -> None:
        await self.hold()
        started = time.monotonic()
        self.redis.kill()
        await asyncio.sleep(self.args.hold)
        self.redis.start()
        self.faults.append(f"Redis killed (SIGKILL), back after {time.monotonic() - started:.1f} s")
        await self.hold()
        self.check_alive("the Redis kill")

        if self.args.kill_worker:
            # Early, so that the killed jobs' leases (30 s) run out while the other faults go on.
            running = await self.jobs_in_progress()
            self.worker.kill()
            self.faults.append(f"worker killed (SIGKILL) with {running} job(s) in progress")
            await asyncio.sleep(1)
            self.worker.start()
            await self.hold()

        for index in range(self.args.restarts):
            mode = "fast" if index % 2 == 0 else "immediate"
            started = time.monotonic()
            await asyncio.to_thread(self.postgres.restart, mode)
            self.faults.append(f"PostgreSQL restart -m {mode} ({time.monotonic() - started:.1f} s)")
            await self.hold()
            self.check_alive(f"PostgreSQL restart {index + 1}")

        self.app.kill()
        self.faults.append("app killed (SIGKILL) under load")
        await asyncio.sleep(0.5)
        self.app.start()
        await asyncio.to_thread(wait_healthy, self.base_url)
        await self.hold()
        self.check_alive("the worker and app kills")

    async def run(self) -> tuple[Tally, Findings, float | None]:
        await asyncio.to_thread(self.postgres.start)
        self.redis.start()
        env = self.agora_env()
        self.app = AgoraProcess("app", self.directory, env)
        self.worker = AgoraProcess("worker", self.directory, env)
        self.app.start()
        await asyncio.to_thread(wait_healthy, self.base_url)  # it has migrated
        self.worker.start()
        course = await seed(self.postgres.url, self.args.clients)
        await create_threads(self.base_url, course, count=max(4, self.args.clients // 2))

        tally, stop = Tally(), asyncio.Event()
        load = asyncio.create_task(
            run_clients(self.base_url, course, tally, stop, self.args.max_replies)
        )
        try:
            await self.inject()
        finally:
            stop.set()
            await load
        drained = await wait_drained(self.postgres.url, self.redis.url, within=180)
        findings = await inspect(self.postgres.url, course, tally)
        return tally, findings, drained

    def stop(self) -> None:
        for process in (getattr(self, "app", None), getattr(self, "worker", None)):
            if process is not None:
                process.stop()
        self.redis.kill()
        self.postgres.stop()


def report(run: Run, tally: Tally, findings: Findings, drained: float | None) -> list[str]:
    """Print the results table; return what failed (empty: passed)."""
    errors = {s: n for s, n in tally.statuses.items() if not s.isdigit()}
    http = {s: n for s, n in tally.statuses.items() if s.isdigit()}
    rows = [
        ("requests sent (retries included)", tally.requests),
        ("replies acknowledged (201)", findings.acknowledged),
        ("replies stored", findings.written),
        ("acknowledged replies lost", len(findings.lost_writes)),
        ("replies stored twice", len(findings.duplicate_writes)),
        ("stored though the client gave up", findings.unacknowledged_written),
        ("reply notifications expected / present",
         f"{findings.notifications_expected} / {findings.notifications_present}"),
        ("notifications lost", len(findings.lost_notifications)),
        ("notifications duplicated", len(findings.duplicate_notifications)),
        ("answers by status", ", ".join(f"{s}: {n}" for s, n in sorted(http.items()))),
        ("connection errors (retried)", ", ".join(f"{s}: {n}" for s, n in sorted(errors.items()))
         or "0"),
        ("answers 500", http.get("500", 0)),
        ("replies given up (no answer in 90 s)", len(tally.given_up)),
        ("replies refused (other 4xx)", len(tally.refused)),
        ("processes that died by themselves", len(run.died)),
        ("every job done", "no" if drained is None else f"yes, {drained:.1f} s after the load"),
    ]  # fmt: skip
    print("\nFaults injected:")
    for fault in run.faults:
        print(f"  - {fault}")
    print("\n| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    failures = []
    if findings.lost_writes:
        failures.append(f"lost acknowledged replies: {findings.lost_writes[:10]}")
    if findings.duplicate_writes:
        failures.append(f"duplicated replies: {findings.duplicate_writes[:10]}")
    if findings.lost_notifications:
        failures.append(f"lost notifications for posts {findings.lost_notifications[:10]}")
    if findings.duplicate_notifications:
        failures.append(f"duplicated notifications {findings.duplicate_notifications[:10]}")
    if http.get("500"):
        failures.append(f"{http['500']} answers 500 (see {run.app.log_path})")
    if tally.given_up:
        failures.append(f"{len(tally.given_up)} replies never acknowledged")
    if tally.refused:
        failures.append(f"refused: {tally.refused[:5]}")
    failures += run.died
    if drained is None:
        failures.append("jobs still pending 180 s after the load stopped")
    return failures


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    directory = Path(tempfile.mkdtemp(prefix="agora-faults-"))
    run = Run(args, directory)
    started = time.monotonic()
    try:
        tally, findings, drained = asyncio.run(run.run())
    finally:
        run.stop()
    failures = report(run, tally, findings, drained)
    print(f"\n{len(failures)} failed, took {time.monotonic() - started:.0f} s"
          f"{'; logs in ' + str(directory) if args.keep or failures else ''}")  # fmt: skip
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if not (args.keep or failures):
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
