"""After the run: wait until every side effect had its chance, then count what was lost."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from dataclasses import dataclass, field

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from agora.redis import QUEUE_NAME
from bench.faults.load import Course, Tally

KEY_IN_BODY = re.compile(r"^reply (c\d+-\d+)$")


async def wait_drained(database_url: str, redis_url: str, within: float) -> float | None:
    """Seconds until the outbox has no pending row, arq's queue is empty and no job runs;
    None if that did not happen within `within` seconds."""
    started = time.monotonic()
    redis = Redis.from_url(redis_url)
    try:
        while time.monotonic() - started < within:
            try:
                connection = await asyncpg.connect(database_url, timeout=5)
                try:
                    pending = await connection.fetchval(
                        "SELECT count(*) FROM outbox WHERE relayed_at IS NULL"
                    )
                finally:
                    await connection.close()
                queued = await redis.zcard(QUEUE_NAME)
                # arq keeps a cron job's in-progress key after the run (so no other worker runs
                # it again that minute): a per-minute cron always has one. Only jobs count.
                running = len(
                    [k for k in await redis.keys("arq:in-progress:*") if b":cron:" not in k]
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pending = queued = running = -1
            if pending == queued == running == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.5)
        # What was left, for the report: outbox rows, queued and running job ids.
        try:
            jobs = [key.decode() for key in await redis.zrange(QUEUE_NAME, 0, 20)]
            busy = [key.decode() for key in await redis.keys("arq:in-progress:*")][:20]  # all
            print(f"left: outbox {pending}, queued {jobs}, running {busy}", file=sys.stderr)
        except (OSError, RedisError) as error:
            print(f"left: outbox {pending}; Redis unreadable: {error}", file=sys.stderr)
        return None
    finally:
        await redis.aclose()


@dataclass
class Findings:
    acknowledged: int = 0
    written: int = 0
    lost_writes: list[str] = field(default_factory=list)
    duplicate_writes: list[str] = field(default_factory=list)
    unacknowledged_written: int = 0  # given up by the client, yet committed (not a loss)
    notifications_expected: int = 0
    notifications_present: int = 0
    lost_notifications: list[int] = field(default_factory=list)
    duplicate_notifications: list[int] = field(default_factory=list)


async def inspect(database_url: str, course: Course, tally: Tally) -> Findings:
    """Every acknowledged reply is stored exactly once, and every stored reply notified the
    thread's author exactly once (the 'reply' notification, written by the worker's job)."""
    connection = await asyncpg.connect(database_url)
    try:
        posts = await connection.fetch(
            "SELECT id, body FROM forum_posts WHERE course_id = $1 AND parent_id IS NOT NULL",
            course.id,
        )
        notified = await connection.fetch(
            """SELECT post_id, count(*) AS n FROM forum_notifications
               WHERE course_id = $1 AND user_id = $2 AND kind = 'reply' GROUP BY post_id""",
            course.id,
            course.owner_id,
        )
    finally:
        await connection.close()
    by_key: dict[str, list[int]] = {}
    for row in posts:
        match = KEY_IN_BODY.match(row["body"])
        if match:
            by_key.setdefault(match.group(1), []).append(row["id"])
    findings = Findings(acknowledged=len(tally.acknowledged), written=len(posts))
    for key, post_id in sorted(tally.acknowledged.items()):
        if post_id not in by_key.get(key, []):
            findings.lost_writes.append(key)
    findings.duplicate_writes = sorted(k for k, ids in by_key.items() if len(ids) > 1)
    findings.unacknowledged_written = len(set(by_key) - set(tally.acknowledged))
    counts = {row["post_id"]: row["n"] for row in notified}
    findings.notifications_expected = len(posts)
    findings.notifications_present = sum(counts.values())
    findings.lost_notifications = sorted(r["id"] for r in posts if r["id"] not in counts)
    findings.duplicate_notifications = sorted(p for p, n in counts.items() if n > 1)
    return findings
