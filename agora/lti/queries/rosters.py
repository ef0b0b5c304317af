"""NRPS roster sync: the course's memberships URL, set-based upserts of a page of members, and
the state of the last sync."""

from __future__ import annotations

import asyncpg

ROLE_SEPARATOR = "\x1f"  # chr(31), the unit separator: never in a role URI


async def select_nrps_url(conn: asyncpg.Connection, course_id: int) -> str | None:
    url: str | None = await conn.fetchval(
        "SELECT nrps_url FROM lti_course_services WHERE course_id = $1", course_id
    )
    return url


async def upsert_roster_page(
    conn: asyncpg.Connection,
    course_id: int,
    platform_id: int,
    *,
    subs: list[str],
    names: list[str],
    given_names: list[str],
    family_names: list[str],
    emails: list[str],
    roles: list[str],
    lti_roles: list[list[str]],
    active: list[bool],
) -> None:
    """Users, then memberships, of one page in one statement (parallel lists, one entry per
    member). lti_roles is ragged: each member's roles travel as one text joined by chr(31) and
    are split in SQL."""
    joined_roles = [ROLE_SEPARATOR.join(member_roles) for member_roles in lti_roles]
    await conn.execute(
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
        given_names,
        family_names,
        emails,
        roles,
        joined_roles,
        active,
        course_id,
    )


async def update_roster_error(conn: asyncpg.Connection, course_id: int, error: str) -> None:
    await conn.execute(
        "UPDATE lti_course_services SET nrps_last_error = $2 WHERE course_id = $1",
        course_id,
        error,
    )


async def update_roster_synced(conn: asyncpg.Connection, course_id: int) -> None:
    await conn.execute(
        """UPDATE lti_course_services SET nrps_synced_at = now(), nrps_last_error = NULL
            WHERE course_id = $1""",
        course_id,
    )
