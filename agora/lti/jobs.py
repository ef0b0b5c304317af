"""arq jobs of the LTI context (collected by agora.worker): score passback and roster sync.

Both take ids, hold no database connection while talking to the platform, and are safe to run
twice: a score row carries a version, so a job never marks a newer score as sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from arq import Retry
from arq.worker import func

from agora.lti import ags, keys, nrps, outbound
from agora.lti import claims as c

log = logging.getLogger("agora.lti.jobs")
MAX_TRIES = 6


def backoff(job_try: int) -> timedelta:
    return timedelta(seconds=min(2 * 4 ** (job_try - 1), 3600))


async def _load_passback(connection, course_id: int, resource_id: str, user_id: int):
    row = await connection.fetchrow(
        """SELECT p.*, u.sub FROM lti_score_passbacks p JOIN users u ON u.id = p.user_id
            WHERE p.course_id = $1 AND p.resource_id = $2 AND p.user_id = $3""",
        course_id,
        resource_id,
        user_id,
    )
    if row is None or row["status"] == "sent":
        return None, None, None, None, None
    endpoint = await connection.fetchrow(
        """SELECT lineitems_url, ags_scopes FROM lti_resource_links
            WHERE course_id = $1 AND lineitems_url IS NOT NULL
            ORDER BY updated_at DESC LIMIT 1""",
        course_id,
    )
    platform = await connection.fetchrow(
        """SELECT p.* FROM platforms p JOIN courses co ON co.platform_id = p.id
            WHERE co.id = $1""",
        course_id,
    )
    lineitem_url = await connection.fetchval(
        "SELECT lineitem_url FROM lti_line_items WHERE course_id = $1 AND resource_id = $2",
        course_id,
        resource_id,
    )
    return row, endpoint, dict(platform), lineitem_url, await keys.signing_key(connection)


async def _mark(db, course_id, resource_id, user_id, version, status, error=None) -> None:
    async with db.acquire() as connection:
        await connection.execute(
            """UPDATE lti_score_passbacks
                  SET status = $5, last_error = $6, updated_at = now(),
                      attempts = attempts + CASE WHEN $5 IN ('sent', 'failed') THEN 1 ELSE 0 END,
                      sent_at = CASE WHEN $5 = 'sent' THEN now() ELSE sent_at END
                WHERE course_id = $1 AND resource_id = $2 AND user_id = $3 AND version = $4""",
            course_id,
            resource_id,
            user_id,
            version,
            status,
            error[:1000] if error else None,
        )


async def _line_item(ctx, client, course_id, resource_id, lineitems_url, row) -> str:
    """Find or create the line item, once per (course, resource) even with concurrent jobs."""
    lock = f"lti:lineitem:{course_id}:{resource_id}"
    if not await ctx["redis"].set(lock, "1", nx=True, ex=120):
        raise Retry(defer=timedelta(seconds=1))
    try:
        async with ctx["db"].acquire() as connection:
            known = await connection.fetchval(
                """SELECT lineitem_url FROM lti_line_items
                    WHERE course_id = $1 AND resource_id = $2""",
                course_id,
                resource_id,
            )
        if known is not None:
            return known
        url = await client.find_or_create_line_item(
            lineitems_url,
            resource_id=resource_id,
            label=row["label"],
            score_maximum=row["score_maximum"],
        )
        async with ctx["db"].acquire() as connection:
            await connection.execute(
                """INSERT INTO lti_line_items (course_id, resource_id, lineitems_url,
                           lineitem_url, label, score_maximum)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
                course_id,
                resource_id,
                lineitems_url,
                url,
                row["label"],
                row["score_maximum"],
            )
        return url
    finally:
        await ctx["redis"].delete(lock)


def scopes_for(granted: list[str]) -> list[str]:
    wanted = [c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_RESULT]
    chosen = [s for s in wanted if s in granted] if granted else wanted
    return chosen or wanted


async def lti_publish_score(ctx: dict, course_id: int, resource_id: str, user_id: int) -> str:
    """Publish the latest recorded score of (course, resource, user) to the platform's gradebook."""
    # One publisher per score row at a time (jobs for one row may run concurrently); the other
    # comes back later and finds the row sent, or a newer version to send.
    lock = f"lti:passback:{course_id}:{resource_id}:{user_id}"
    if not await ctx["redis"].set(lock, "1", nx=True, ex=120):
        raise Retry(defer=timedelta(seconds=1))
    try:
        return await _publish(ctx, course_id, resource_id, user_id)
    finally:
        await ctx["redis"].delete(lock)


async def _publish(ctx: dict, course_id: int, resource_id: str, user_id: int) -> str:
    db = ctx["db"]
    async with db.acquire() as connection:
        row, endpoint, platform, lineitem_url, key = await _load_passback(
            connection, course_id, resource_id, user_id
        )
    if row is None:
        return "nothing to send"
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
        async with outbound.client() as http:
            client = ags.AgsClient(
                http, ctx["redis"], platform, key, scopes_for(list(endpoint["ags_scopes"]))
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


async def lti_sync_roster(ctx: dict, course_id: int) -> int:
    """Upsert the course roster from NRPS; returns how many members were seen."""
    db = ctx["db"]
    async with db.acquire() as connection:
        service = await connection.fetchrow(
            "SELECT nrps_url FROM lti_course_services WHERE course_id = $1", course_id
        )
        platform = await connection.fetchrow(
            """SELECT p.* FROM platforms p JOIN courses co ON co.platform_id = p.id
                WHERE co.id = $1""",
            course_id,
        )
        key = await keys.signing_key(connection)
    if service is None or not service["nrps_url"] or platform is None:
        return 0
    seen = 0
    try:
        async with outbound.client() as http:
            async for members in nrps.member_pages(
                http, ctx["redis"], dict(platform), key, service["nrps_url"]
            ):
                async with db.acquire() as connection, connection.transaction():
                    seen += await nrps.upsert_members(
                        connection,
                        platform_id=platform["id"],
                        course_id=course_id,
                        members=members,
                    )
    except outbound.PlatformHTTPError as error:
        async with db.acquire() as connection:
            await connection.execute(
                "UPDATE lti_course_services SET nrps_last_error = $2 WHERE course_id = $1",
                course_id,
                str(error)[:1000],
            )
        job_try = ctx.get("job_try", 1)
        if error.retriable and job_try < 3:
            raise Retry(defer=backoff(job_try + 2)) from None
        return seen
    async with db.acquire() as connection:
        await connection.execute(
            """UPDATE lti_course_services SET nrps_synced_at = now(), nrps_last_error = NULL
                WHERE course_id = $1""",
            course_id,
        )
    return seen


FUNCTIONS: list = [
    func(lti_publish_score, name="lti_publish_score", max_tries=MAX_TRIES),
    func(lti_sync_roster, name="lti_sync_roster", max_tries=3),
]
