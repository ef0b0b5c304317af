"""arq jobs of the LTI context (collected by agora.worker): score passback (one score, or a
batch of a line item's scores) and roster sync.

Both take ids, hold no database connection while talking to the platform, and are safe to run
twice: a score row carries a version, so a job never marks a newer score as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from arq import Retry
from arq.worker import Function, func
from joserfc.jwk import RSAKey
from redis.asyncio import Redis
from redis.exceptions import LockError

from agora.db import Database
from agora.lti import ags, groups, keys, nrps, outbound
from agora.lti import claims as c
from agora.lti.queries import passbacks, platforms, rosters

log = logging.getLogger("agora.lti.jobs")
MAX_TRIES = 6
# Longer than any one job's calls to the platform (each has a 10 s timeout).
LOCK_SECONDS = 120


def backoff(job_try: int) -> timedelta:
    return timedelta(seconds=min(2 * 4 ** (job_try - 1), 3600))


@contextlib.asynccontextmanager
async def alone(redis: Redis, name: str) -> AsyncIterator[None]:
    """Run the body while no other job holds `name`, or have arq try again in a second.

    A redis-py Lock: released only if still ours (past LOCK_SECONDS another job may hold it).
    """
    lock = redis.lock(name, timeout=LOCK_SECONDS, blocking=False)
    if not await lock.acquire():
        raise Retry(defer=timedelta(seconds=1))
    try:
        yield
    finally:
        with contextlib.suppress(LockError):
            await lock.release()


@dataclass
class Passback:
    """What publishing one score needs, read in one go before any call to the platform."""

    row: asyncpg.Record
    endpoint: asyncpg.Record | None
    platform: dict[str, Any]
    lineitem_url: str | None
    key: RSAKey


async def _load_passback(
    connection: asyncpg.Connection, course_id: int, resource_id: str, user_id: int
) -> Passback | None:
    """None when there is nothing to send (no such score, or already sent)."""
    row = await passbacks.select_passback(connection, course_id, resource_id, user_id)
    if row is None or row["status"] == "sent":
        return None
    platform = await platforms.select_course_platform(connection, course_id)
    if platform is None:
        return None
    return Passback(
        row=row,
        endpoint=await passbacks.select_ags_endpoint(connection, course_id),
        platform=dict(platform),
        lineitem_url=await passbacks.select_line_item_url(connection, course_id, resource_id),
        key=await keys.signing_key(connection),
    )


async def _mark(
    db: Database,
    course_id: int,
    resource_id: str,
    user_id: int,
    version: int,
    status: str,
    error: str | None = None,
) -> None:
    async with db.acquire() as connection:
        await passbacks.update_passback_status(
            connection,
            course_id,
            resource_id,
            user_id,
            version=version,
            status=status,
            error=error[:1000] if error else None,
        )


async def _line_item(
    ctx: dict[str, Any],
    client: ags.AgsClient,
    course_id: int,
    resource_id: str,
    lineitems_url: str,
    row: asyncpg.Record,
) -> str:
    """Find or create the line item, once per (course, resource) even with concurrent jobs."""
    async with alone(ctx["redis"], f"lti:lineitem:{course_id}:{resource_id}"):
        async with ctx["db"].acquire() as connection:
            known = await passbacks.select_line_item_url(connection, course_id, resource_id)
        if known is not None:
            return known
        url = await client.find_or_create_line_item(
            lineitems_url,
            resource_id=resource_id,
            label=row["label"],
            score_maximum=row["score_maximum"],
        )
        async with ctx["db"].acquire() as connection:
            await passbacks.insert_line_item(
                connection,
                course_id,
                resource_id,
                lineitems_url=lineitems_url,
                lineitem_url=url,
                label=row["label"],
                score_maximum=row["score_maximum"],
            )
        return url


def scopes_for(granted: list[str]) -> list[str]:
    wanted = [c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_RESULT]
    chosen = [s for s in wanted if s in granted] if granted else wanted
    return chosen or wanted


async def lti_publish_score(
    ctx: dict[str, Any], course_id: int, resource_id: str, user_id: int
) -> str:
    """Publish the latest recorded score of (course, resource, user) to the platform's gradebook."""
    # One publisher per score row at a time (jobs for one row may run concurrently); the other
    # comes back later and finds the row sent, or a newer version to send.
    async with alone(ctx["redis"], f"lti:passback:{course_id}:{resource_id}:{user_id}"):
        return await _publish(ctx, course_id, resource_id, user_id)


async def _publish(ctx: dict[str, Any], course_id: int, resource_id: str, user_id: int) -> str:
    db: Database = ctx["db"]
    async with db.acquire() as connection:
        passback = await _load_passback(connection, course_id, resource_id, user_id)
    if passback is None:
        return "nothing to send"
    row, endpoint, lineitem_url = passback.row, passback.endpoint, passback.lineitem_url
    version = row["version"]
    if endpoint is None:
        await _mark(
            db,
            course_id,
            resource_id,
            user_id,
            version,
            "no_endpoint",
            "no launch of this course carried an AGS endpoint",
        )
        return "no endpoint"
    try:
        async with outbound.client(outbound.Policy.of(ctx["settings"])) as http:
            client = ags.AgsClient(
                http,
                ctx["redis"],
                passback.platform,
                passback.key,
                scopes_for(list(endpoint["ags_scopes"])),
            )
            if lineitem_url is None:
                lineitem_url = await _line_item(
                    ctx, client, course_id, resource_id, endpoint["lineitems_url"], row
                )
            body = ags.score_body(
                sub=row["sub"],
                score_given=row["score_given"],
                score_maximum=row["score_maximum"],
                comment=row["comment"],
                timestamp=row["score_timestamp"],
            )
            await client.post_score(lineitem_url, body)
    except outbound.PlatformHTTPError as error:
        message = str(error)
        log.warning("score passback failed (course %s, %s): %s", course_id, resource_id, message)
        await _mark(db, course_id, resource_id, user_id, version, "failed", message)
        job_try = ctx.get("job_try", 1)
        if error.retriable and job_try < MAX_TRIES:
            raise Retry(defer=backoff(job_try)) from None
        return "failed"
    await _mark(db, course_id, resource_id, user_id, version, "sent")
    return "sent"


# POSTs of one batch in flight at once (AGS takes one score per request).
SEND_CONCURRENCY = 8
# Users one `lti_publish_scores` job may name (ags.PUBLISH_BATCH, with room to spare).
MAX_BATCH = 1000


async def lti_publish_scores(
    ctx: dict[str, Any], course_id: int, resource_id: str, user_ids: list[int]
) -> dict[str, int]:
    """Publish a batch of recorded scores of one line item (ags.request_score_passbacks).

    One read of the batch's unsent rows, a few POSTs at a time, one write of the outcomes. Safe
    to run twice: sent rows are skipped, each outcome is written for the version that was sent
    (a newer score stays pending for its own job), and an AGS score is PUT-like (the platform
    keeps the one with the latest timestamp), so a score sent twice changes nothing. After a
    retriable failure the rest of the batch waits, and arq retries the job with backoff."""
    db: Database = ctx["db"]
    users = [int(u) for u in user_ids[:MAX_BATCH]]
    async with db.acquire() as connection:
        rows = await passbacks.select_passbacks(connection, course_id, resource_id, users)
        if not rows:
            return {"sent": 0, "failed": 0, "waiting": 0}
        platform = await platforms.select_course_platform(connection, course_id)
        if platform is None:
            return {"sent": 0, "failed": 0, "waiting": len(rows)}
        endpoint = await passbacks.select_ags_endpoint(connection, course_id)
        lineitem_url = await passbacks.select_line_item_url(connection, course_id, resource_id)
        key = await keys.signing_key(connection)
    outcome: dict[int, tuple[str, str | None]] = {}
    retriable = False
    if endpoint is None:
        outcome = {
            r["user_id"]: ("no_endpoint", "no launch of this course carried an AGS endpoint")
            for r in rows
        }
    else:
        try:
            async with outbound.client(outbound.Policy.of(ctx["settings"])) as http:
                client = ags.AgsClient(
                    http, ctx["redis"], dict(platform), key,
                    scopes_for(list(endpoint["ags_scopes"])),
                )  # fmt: skip
                if lineitem_url is None:
                    lineitem_url = await _line_item(
                        ctx, client, course_id, resource_id, endpoint["lineitems_url"], rows[0]
                    )
                url: str = lineitem_url
                gate = asyncio.Semaphore(SEND_CONCURRENCY)

                async def send(row: asyncpg.Record) -> None:
                    nonlocal retriable
                    async with gate:
                        if retriable:  # the platform is failing: the rest waits for the retry
                            return
                        body = ags.score_body(
                            sub=row["sub"], score_given=row["score_given"],
                            score_maximum=row["score_maximum"], comment=row["comment"],
                            timestamp=row["score_timestamp"],
                        )  # fmt: skip
                        try:
                            await client.post_score(url, body)
                        except outbound.PlatformHTTPError as error:
                            outcome[row["user_id"]] = ("failed", str(error)[:1000])
                            retriable = retriable or error.retriable
                            return
                        outcome[row["user_id"]] = ("sent", None)

                await asyncio.gather(*(send(r) for r in rows))
        except outbound.PlatformHTTPError as error:  # the token or the line item
            message = str(error)[:1000]
            outcome = {r["user_id"]: ("failed", message) for r in rows}
            retriable = error.retriable
    done = [r for r in rows if r["user_id"] in outcome]
    async with db.acquire() as connection:
        await passbacks.update_passback_statuses(
            connection,
            course_id,
            resource_id,
            users=[r["user_id"] for r in done],
            versions=[r["version"] for r in done],
            statuses=[outcome[r["user_id"]][0] for r in done],
            errors=[outcome[r["user_id"]][1] for r in done],
        )
    counts = {
        "sent": sum(1 for s, _ in outcome.values() if s == "sent"),
        "failed": sum(1 for s, _ in outcome.values() if s != "sent"),
        "waiting": len(rows) - len(done),
    }
    if counts["failed"]:
        log.warning("score passback (course %s, %s): %s", course_id, resource_id, counts)
    job_try = ctx.get("job_try", 1)
    if retriable and job_try < MAX_TRIES:
        raise Retry(defer=backoff(job_try))
    return counts


async def lti_sync_roster(ctx: dict[str, Any], course_id: int) -> int:
    """Upsert the course roster from NRPS and, where the platform offers Course Groups, the
    course's groups and who is in which; returns how many members were seen."""
    db: Database = ctx["db"]
    async with db.acquire() as connection:
        services = await rosters.select_course_services(connection, course_id)
        platform = await platforms.select_course_platform(connection, course_id)
        key = await keys.signing_key(connection)
    if services is None or not services["nrps_url"] or platform is None:
        return 0
    seen = 0
    group_keys: frozenset[str] | None = frozenset()  # None: the groups could not be read
    try:
        async with outbound.client(outbound.Policy.of(ctx["settings"])) as http:
            if services["groups_url"]:
                group_keys = await _sync_groups(ctx, http, dict(platform), key, course_id, services)
            async for members in nrps.member_pages(
                http, ctx["redis"], dict(platform), key, services["nrps_url"]
            ):
                async with db.acquire() as connection, connection.transaction():
                    seen += await nrps.upsert_members(
                        connection,
                        platform_id=platform["id"],
                        course_id=course_id,
                        members=members,
                        group_keys=group_keys or frozenset(),
                    )
    except outbound.PlatformHTTPError as error:
        async with db.acquire() as connection:
            await rosters.update_roster_error(connection, course_id, str(error)[:1000])
        job_try = ctx.get("job_try", 1)
        if error.retriable and job_try < 3:
            raise Retry(defer=backoff(job_try + 2)) from None
        return seen
    async with db.acquire() as connection, connection.transaction():
        if group_keys is not None:  # else the last snapshot stays as it was
            await rosters.finish_groups_sync(connection, course_id, services["started_at"])
        await rosters.update_roster_synced(connection, course_id)
    return seen


async def _sync_groups(
    ctx: dict[str, Any],
    http: Any,
    platform: dict[str, Any],
    key: RSAKey,
    course_id: int,
    services: asyncpg.Record,
) -> frozenset[str] | None:
    """Read the course's groups (before the roster, whose members name them) and store them;
    None if the platform would not give them: the roster is read all the same (groups are an
    optional service, and a platform may name it without granting its scope)."""
    try:
        found = await groups.read_groups(
            http,
            ctx["redis"],
            platform,
            key,
            groups_url=services["groups_url"],
            sets_url=services["group_sets_url"],
        )
    except outbound.PlatformHTTPError as error:
        log.warning("course %s: the LMS's groups could not be read: %s", course_id, error)
        return None
    async with ctx["db"].acquire() as connection:
        await rosters.upsert_groups(
            connection,
            course_id,
            keys=[g.key for g in found],
            names=[g.name for g in found],
            set_keys=[g.set_key for g in found],
            set_names=[g.set_name for g in found],
        )
    return frozenset(g.key for g in found)


FUNCTIONS: list[Function] = [
    # No longer than LOCK_SECONDS, so `alone`'s lock outlives the job holding it.
    func(lti_publish_score, name="lti_publish_score", max_tries=MAX_TRIES, timeout=LOCK_SECONDS),
    # A batch: SEND_CONCURRENCY POSTs at a time, each bounded by the outbound guard's timeout.
    func(lti_publish_scores, name="lti_publish_scores", max_tries=MAX_TRIES, timeout=300),
    func(lti_sync_roster, name="lti_sync_roster", max_tries=3, timeout=300),
]
