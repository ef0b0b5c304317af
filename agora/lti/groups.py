"""LTI Course Groups service: the course's groups and group sets, as the platform names them.

A platform that offers it names two paged endpoints in the launch (claim lti-gs groupsservice):
context_groups_url (each group: id, name, the set it belongs to) and, optionally,
context_group_sets_url (each set: id, name). Who is in which group comes with the roster: NRPS
members carry `group_enrollments` (see agora.lti.nrps). The roster sync job reads both into a
per-course snapshot (lti_groups, lti_group_members) that the peer-review teams page builds
teams from.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import asyncpg
import httpx
from joserfc.jwk import RSAKey
from redis.asyncio import Redis

from agora.lti import claims as c
from agora.lti.nrps import service_pages
from agora.lti.queries import rosters
from agora.outbox import enqueue

GROUP_CONTAINER = "application/vnd.ims.lti-gs.v1.contextgroupcontainer+json"
MAX_GROUPS = 50_000  # a MOOC's teams of 3-4 at 160,000 learners
MAX_SETS = 1_000


class Group(NamedTuple):
    key: str
    name: str
    set_key: str  # '' when the platform puts the group in no set
    set_name: str


def _text(value: object, limit: int = 255) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _set_of(group: dict[str, Any]) -> str:
    """The group's set: `set_id`, or the first of `set_ids` (platforms differ)."""
    if isinstance(set_id := group.get("set_id"), str):
        return _text(set_id)
    set_ids = group.get("set_ids")
    if isinstance(set_ids, list) and set_ids and isinstance(set_ids[0], str):
        return _text(set_ids[0])
    return ""


async def read_groups(
    http: httpx.AsyncClient,
    redis: Redis,
    platform: dict[str, Any],
    key: RSAKey,
    *,
    groups_url: str,
    sets_url: str | None,
) -> list[Group]:
    """Every group of the course with its set's name, at most MAX_GROUPS (and MAX_SETS sets)."""

    def pages(url: str, items: str) -> Any:
        return service_pages(
            http, redis, platform, key, url,
            scope=c.SCOPE_GROUPS, accept=GROUP_CONTAINER, items=items,
        )  # fmt: skip

    set_names: dict[str, str] = {}
    if sets_url:
        async for page in pages(sets_url, "sets"):
            for item in page:
                if (set_key := _text(item.get("id"))) and len(set_names) < MAX_SETS:
                    set_names[set_key] = _text(item.get("name")) or set_key
    groups: dict[str, Group] = {}
    async for page in pages(groups_url, "groups"):
        for item in page:
            group_key = _text(item.get("id"))
            if not group_key or len(groups) >= MAX_GROUPS:
                continue
            set_key = _set_of(item)
            groups[group_key] = Group(
                group_key,
                _text(item.get("name")) or group_key,
                set_key,
                set_names.get(set_key, set_key),
            )
    return list(groups.values())


async def request_sync(conn: asyncpg.Connection, course_id: int) -> bool:
    """Queue a roster and groups sync now (staff asked for fresh groups), at most once a
    minute per course; False when the LMS named no roster service or one was just queued."""
    if not await rosters.mark_sync_requested(conn, course_id):
        return False
    await enqueue(conn, "lti_sync_roster", course_id, course_id=course_id)
    return True
