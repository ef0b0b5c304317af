"""Names and Role Provisioning Services: read the course roster, page by page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import asyncpg
import httpx
from joserfc.jwk import RSAKey
from redis.asyncio import Redis

from agora.lti import claims as c
from agora.lti import outbound, tokens
from agora.lti.ags import next_link
from agora.lti.queries import rosters

MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 1000
MAX_MEMBERS_PER_PAGE = 10_000


async def member_pages(
    http: httpx.AsyncClient, redis: Redis, platform: dict[str, Any], key: RSAKey, url: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield the members of each page, following Link: rel="next" at most MAX_PAGES times."""
    scopes = [c.SCOPE_NRPS]
    for _ in range(MAX_PAGES):
        for attempt in (1, 2):
            token = await tokens.access_token(http, redis, platform, key, scopes)
            try:
                response, document = await outbound.get_json(
                    http,
                    url,
                    headers={"Accept": MEMBERSHIP_CONTAINER, "Authorization": f"Bearer {token}"},
                )
                break
            except outbound.PlatformHTTPError as error:
                if error.status == 401 and attempt == 1:
                    await tokens.forget(redis, platform["id"], scopes)
                    continue
                raise
        members = document.get("members") if isinstance(document, dict) else None
        if not isinstance(members, list):
            raise outbound.PlatformHTTPError(f"{url}: not a membership container", retriable=False)
        yield [m for m in members[:MAX_MEMBERS_PER_PAGE] if isinstance(m, dict)]
        following = next_link(response)
        if following is None:
            return
        url = following


def _text(value: object, limit: int = 255) -> str:
    return value[:limit] if isinstance(value, str) else ""


class Member(NamedTuple):
    """One NRPS member, checked and bounded."""

    sub: str
    name: str
    given_name: str
    family_name: str
    email: str
    role: str
    lti_roles: list[str]
    active: bool


async def upsert_members(
    connection: asyncpg.Connection,
    *,
    platform_id: int,
    course_id: int,
    members: list[dict[str, Any]],
) -> int:
    """Set-based upsert of one page of members: users, then memberships. Returns how many."""
    by_sub: dict[str, Member] = {}
    for member in members:
        sub = member.get("user_id")
        if not isinstance(sub, str) or not sub or len(sub) > 255:
            continue
        roles = [r for r in member.get("roles", []) if isinstance(r, str)][:50]
        by_sub[sub] = Member(
            sub,
            _text(member.get("name")),
            _text(member.get("given_name")),
            _text(member.get("family_name")),
            _text(member.get("email")),
            c.map_roles(roles),
            roles,
            member.get("status", "Active") != "Inactive",
        )
    rows = list(by_sub.values())
    if not rows:
        return 0
    await rosters.upsert_roster_page(
        connection,
        course_id,
        platform_id,
        subs=[r.sub for r in rows],
        names=[r.name for r in rows],
        given_names=[r.given_name for r in rows],
        family_names=[r.family_name for r in rows],
        emails=[r.email for r in rows],
        roles=[r.role for r in rows],
        lti_roles=[r.lti_roles for r in rows],
        active=[r.active for r in rows],
    )
    return len(rows)
