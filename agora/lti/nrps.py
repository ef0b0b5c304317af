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
MAX_ITEMS_PER_PAGE = 10_000
MAX_GROUPS_PER_MEMBER = 100


async def service_pages(
    http: httpx.AsyncClient,
    redis: Redis,
    platform: dict[str, Any],
    key: RSAKey,
    url: str,
    *,
    scope: str,
    accept: str,
    items: str,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield the `items` list of each page of a platform's paged container (NRPS members,
    Course Groups groups and sets), following Link: rel="next" at most MAX_PAGES times."""
    scopes = [scope]
    for _ in range(MAX_PAGES):
        for attempt in (1, 2):
            token = await tokens.access_token(http, redis, platform, key, scopes)
            try:
                response, document = await outbound.get_json(
                    http, url, headers={"Accept": accept, "Authorization": f"Bearer {token}"}
                )
                break
            except outbound.PlatformHTTPError as error:
                if error.status == 401 and attempt == 1:
                    await tokens.forget(redis, platform["id"], scopes)
                    continue
                raise
        found = document.get(items) if isinstance(document, dict) else None
        if not isinstance(found, list):
            raise outbound.PlatformHTTPError(f"{url}: no {items} list", retriable=False)
        yield [item for item in found[:MAX_ITEMS_PER_PAGE] if isinstance(item, dict)]
        following = next_link(response)
        if following is None:
            return
        url = following


def member_pages(
    http: httpx.AsyncClient, redis: Redis, platform: dict[str, Any], key: RSAKey, url: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """The roster's members, page by page."""
    return service_pages(
        http, redis, platform, key, url,
        scope=c.SCOPE_NRPS, accept=MEMBERSHIP_CONTAINER, items="members",
    )  # fmt: skip


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
    groups: tuple[str, ...]  # Course Groups: the group ids of the member's group_enrollments


async def upsert_members(
    connection: asyncpg.Connection,
    *,
    platform_id: int,
    course_id: int,
    members: list[dict[str, Any]],
    group_keys: frozenset[str] = frozenset(),
) -> int:
    """Set-based upsert of one page of members: users, then memberships, then who is in which
    of the course's groups (`group_keys`, read first; others are ignored). Returns how many."""
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
            _group_enrollments(member),
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
    pairs = [(r.sub, group) for r in rows for group in r.groups if group in group_keys]
    if pairs:
        await rosters.upsert_group_members(
            connection,
            course_id,
            platform_id,
            subs=[sub for sub, _ in pairs],
            group_keys=[group for _, group in pairs],
        )
    return len(rows)


def _group_enrollments(member: dict[str, Any]) -> tuple[str, ...]:
    enrollments = member.get("group_enrollments")
    if not isinstance(enrollments, list):
        return ()
    keys = (e.get("group_id") for e in enrollments[:MAX_GROUPS_PER_MEMBER] if isinstance(e, dict))
    return tuple(k[:255] for k in keys if isinstance(k, str) and k)
