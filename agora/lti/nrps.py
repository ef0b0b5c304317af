"""Names and Role Provisioning Services: read the course roster, page by page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
from joserfc.jwk import RSAKey

from agora.lti import claims as c
from agora.lti import outbound, tokens
from agora.lti.ags import next_link

MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 1000
MAX_MEMBERS_PER_PAGE = 10_000


async def member_pages(
    http: httpx.AsyncClient, redis, platform: dict, key: RSAKey, url: str
) -> AsyncIterator[list[dict]]:
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
        url = next_link(response)
        if url is None:
            return


def _text(value: object, limit: int = 255) -> str:
    return value[:limit] if isinstance(value, str) else ""


async def upsert_members(
    connection: asyncpg.Connection, *, platform_id: int, course_id: int, members: list[dict]
) -> int:
    """Set-based upsert of one page of members: users, then memberships. Returns how many."""
    by_sub: dict[str, tuple] = {}
    for member in members:
        sub = member.get("user_id")
        if not isinstance(sub, str) or not sub or len(sub) > 255:
            continue
        roles = [r for r in member.get("roles", []) if isinstance(r, str)][:50]
        by_sub[sub] = (
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
    subs, names, givens, families, emails, roles, lti_roles, active = map(
        list, zip(*rows, strict=True)
    )
    # lti_roles is a ragged array: pass it as one text per member and split it in SQL.
    joined = ["\x1f".join(r) for r in lti_roles]
    await connection.execute(
        """WITH input AS (
               SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                    $7::text[], $8::text[], $9::bool[])
                        AS t(sub, name, given_name, family_name, email, role, lti_roles, active)
           ), upserted AS (
               INSERT INTO users (platform_id, sub, name, given_name, family_name, email)
               SELECT $1, sub, name, given_name, family_name, email FROM input
               ON CONFLICT (platform_id, sub) DO UPDATE
                  SET name = COALESCE(NULLIF(EXCLUDED.name, ''), users.name),
                      given_name = COALESCE(NULLIF(EXCLUDED.given_name, ''), users.given_name),
                      family_name = COALESCE(NULLIF(EXCLUDED.family_name, ''), users.family_name),
                      email = COALESCE(NULLIF(EXCLUDED.email, ''), users.email)
               RETURNING id, sub
           )
           INSERT INTO memberships (course_id, user_id, role, lti_roles, active)
           SELECT $10, u.id, i.role,
                  COALESCE(string_to_array(NULLIF(i.lti_roles, ''), chr(31)), '{}'), i.active
             FROM input i JOIN upserted u ON u.sub = i.sub
           ON CONFLICT (course_id, user_id) DO UPDATE
              SET role = EXCLUDED.role, lti_roles = EXCLUDED.lti_roles,
                  active = EXCLUDED.active, updated_at = now()""",
        platform_id,
        subs,
        names,
        givens,
        families,
        emails,
        roles,
        joined,
        active,
        course_id,
    )
    return len(rows)
