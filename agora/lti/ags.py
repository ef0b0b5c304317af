"""Assignment and Grade Services: the passback contract other contexts call, and the AGS client.

Peer review calls `request_score_passback` inside its own transaction; the score is recorded as
pending and an outbox job (`lti_publish_score`) publishes it: token (cached), line item found or
created by resourceId, score posted with a timestamp. Failures are retried with backoff and stay
visible through `select_passback_status` (status 'failed' with last_error).

A whole line item's scores (a released assignment of a MOOC: 160,000 learners) go through
`request_score_passbacks`: one statement records them and enqueues one `lti_publish_scores` job
per batch, which sends that batch's scores (AGS has no batch endpoint: one POST each).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from joserfc.jwk import RSAKey
from redis.asyncio import Redis

from agora.lti import claims as c
from agora.lti import outbound, tokens
from agora.lti.queries import passbacks
from agora.outbox import CHANNEL, enqueue

LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
MAX_PAGES = 20
MAX_COMMENT = 4000
SCORE_DECIMALS = 2  # scoreGiven sent to the LMS: hundredths of a point


def assignment_resource_id(assignment_id: int) -> str:
    """The resourceId Agora uses for a peer-review assignment (deep linking uses it too)."""
    return f"assignment-{assignment_id}"


# ---- the contract -----------------------------------------------------------------------------


async def request_score_passback(
    conn: asyncpg.Connection,
    *,
    course_id: int,
    resource_id: str,
    label: str,
    score_maximum: float,
    user_id: int,
    score_given: float,
    comment: str = "",
    timestamp: datetime | None = None,
) -> None:
    """Record the score as pending and enqueue (agora.outbox.enqueue) the arq job that
    publishes it; idempotent per (course_id, resource_id, user_id): a newer score replaces a
    pending one. Call it inside the caller's transaction."""
    if not resource_id or len(resource_id) > 255:
        raise ValueError("resource_id must be 1..255 characters")
    if not score_maximum > 0 or not 0 <= score_given:
        raise ValueError("scores must satisfy 0 <= score_given and score_maximum > 0")
    # A gradebook shows 9.61, not 9.611858064750988 (a grading model's estimate): scores go to
    # the LMS to a precision a person reads, the same one the passback status shows.
    score_given = round(float(score_given), SCORE_DECIMALS)
    version = await passbacks.upsert_score_passback(
        conn,
        course_id,
        resource_id,
        user_id,
        label=label[:255],
        score_maximum=float(score_maximum),
        score_given=float(score_given),
        comment=comment[:MAX_COMMENT],
        timestamp=timestamp or datetime.now(UTC),
    )
    # An older score, or the same one again once sent or pending, changes nothing; the same one
    # again after a failure is a retry.
    if version is not None:
        await enqueue(
            conn, "lti_publish_score", course_id, resource_id, user_id, course_id=course_id
        )


# Scores one `lti_publish_scores` job sends: 160,000 learners are 640 jobs, each of a size a
# worker sends within its timeout even from a slow platform.
PUBLISH_BATCH = 250


async def request_score_passbacks(
    conn: asyncpg.Connection,
    *,
    course_id: int,
    resource_id: str,
    label: str,
    score_maximum: float,
    users: list[int],
    scores: list[float],
    timestamps: list[datetime],
    batch: int = PUBLISH_BATCH,
) -> tuple[int, int]:
    """`request_score_passback` for a whole line item at once, set-based: one statement records
    every score (distinct `users`, parallel lists) and enqueues one `lti_publish_scores` job per
    `batch` of changed scores; unchanged scores enqueue nothing, so a rerun is idempotent.
    Returns (changed scores, jobs). Call it inside the caller's transaction."""
    if not resource_id or len(resource_id) > 255:
        raise ValueError("resource_id must be 1..255 characters")
    if not len(users) == len(scores) == len(timestamps):
        raise ValueError("users, scores and timestamps must be parallel lists")
    if not score_maximum > 0 or (scores and not min(scores) >= 0):
        raise ValueError("scores must satisfy 0 <= score_given and score_maximum > 0")
    if not users:
        return 0, 0
    return await passbacks.upsert_score_passbacks(
        conn,
        course_id,
        resource_id,
        label=label[:255],
        score_maximum=float(score_maximum),
        users=users,
        scores=[round(float(score), SCORE_DECIMALS) for score in scores],
        timestamps=timestamps,
        batch=max(1, batch),
        job="lti_publish_scores",
        notify_channel=CHANNEL,
    )


async def select_passback_status(
    conn: asyncpg.Connection, *, course_id: int, resource_id: str
) -> list[dict[str, Any]]:
    """One dict per user: user_id, status ('pending'|'sent'|'failed'|'no_endpoint'),
    attempts, last_error, score_given, updated_at."""
    rows = await passbacks.select_passback_status(conn, course_id, resource_id)
    return [dict(r) for r in rows]


# ---- the client -------------------------------------------------------------------------------


def _child(url: str, segment: str) -> str:
    """`{lineitem}/scores` keeping the line item URL's query string."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + segment))


def score_body(
    *, sub: str, score_given: float, score_maximum: float, comment: str, timestamp: datetime
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "userId": sub,
        "scoreGiven": score_given,
        "scoreMaximum": score_maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        # Platforms order scores by timestamp (and drop older ones): always send it.
        "timestamp": timestamp.astimezone(UTC).isoformat(timespec="milliseconds"),
    }
    if comment:
        body["comment"] = comment
    return body


class AgsClient:
    """AGS calls for one platform. Tokens come from (and go to) the Redis cache."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        redis: Redis,
        platform: dict[str, Any],
        key: RSAKey,
        scopes: list[str],
    ) -> None:
        self.http, self.redis, self.platform, self.key = http, redis, platform, key
        self.scopes = sorted(scopes)

    async def _call(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, object]:
        for attempt in (1, 2):
            token = await tokens.access_token(
                self.http, self.redis, self.platform, self.key, self.scopes
            )
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
            try:
                return await outbound.request_json(
                    self.http, method, url, headers=headers, **kwargs
                )
            except outbound.PlatformHTTPError as error:
                if error.status == 401 and attempt == 1:
                    await tokens.forget(self.redis, self.platform["id"], self.scopes)
                    kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def find_line_item(self, lineitems_url: str, resource_id: str) -> dict[str, Any] | None:
        url = lineitems_url
        params: dict[str, str] | None = {"resource_id": resource_id}
        for _ in range(MAX_PAGES):
            response, items = await self._call(
                "GET", url, params=params, headers={"Accept": LINEITEM_CONTAINER}
            )
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("resourceId") == resource_id:
                    return item
            following = next_link(response)
            if following is None:
                return None
            url, params = following, None
        return None

    async def create_line_item(
        self, lineitems_url: str, *, resource_id: str, label: str, score_maximum: float
    ) -> dict[str, Any]:
        body = {
            "scoreMaximum": score_maximum,
            "label": label or resource_id,
            "resourceId": resource_id,
            "tag": "agora",
        }
        _, item = await self._call(
            "POST",
            lineitems_url,
            json=body,
            headers={"Content-Type": LINEITEM, "Accept": LINEITEM},
        )
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise outbound.PlatformHTTPError("the platform created a line item without an id")
        return item

    async def find_or_create_line_item(
        self, lineitems_url: str, *, resource_id: str, label: str, score_maximum: float
    ) -> str:
        item = await self.find_line_item(lineitems_url, resource_id)
        if item is None:
            item = await self.create_line_item(
                lineitems_url, resource_id=resource_id, label=label, score_maximum=score_maximum
            )
        url: str = item["id"]  # create_line_item checked it is a string
        return url

    async def post_score(self, lineitem_url: str, body: dict[str, Any]) -> None:
        await self._call(
            "POST",
            _child(lineitem_url, "scores"),
            content=_encode(body),
            headers={"Content-Type": SCORE},
        )

    async def results(self, lineitem_url: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        url = _child(lineitem_url, "results")
        for _ in range(MAX_PAGES):
            response, page = await self._call("GET", url, headers={"Accept": RESULT_CONTAINER})
            found.extend(r for r in (page if isinstance(page, list) else []) if isinstance(r, dict))
            following = next_link(response)
            if following is None:
                break
            url = following
        return found


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def next_link(response: httpx.Response) -> str | None:
    """The rel="next" URL of the Link header(s), parsed by httpx."""
    return response.links.get("next", {}).get("url")


SCORE_SCOPES = [c.SCOPE_LINEITEM, c.SCOPE_SCORE]
RESULT_SCOPES = [c.SCOPE_LINEITEM, c.SCOPE_RESULT, c.SCOPE_SCORE]
