"""Roster sync: the course's NRPS and Course Groups endpoints, set-based upserts of a page of
members and of the course's groups, and the state of the last sync."""

from __future__ import annotations

from typing import Any

import asyncpg

ROLE_SEPARATOR = "\x1f"  # chr(31), the unit separator: never in a role URI


async def select_course_services(conn: asyncpg.Connection, course_id: int) -> asyncpg.Record | None:
    """The roster and groups endpoints, and the database's clock (a sync's start: rows it does
    not see again are older than that; the clock, not now(), which a transaction holds still)."""
    return await conn.fetchrow(
        """SELECT nrps_url, groups_url, group_sets_url, clock_timestamp() AS started_at
             FROM lti_course_services WHERE course_id = $1""",
        course_id,
    )


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


async def upsert_groups(
    conn: asyncpg.Connection,
    course_id: int,
    *,
    keys: list[str],
    names: list[str],
    set_keys: list[str],
    set_names: list[str],
) -> None:
    await conn.execute(
        """INSERT INTO lti_groups (course_id, group_key, name, set_key, set_name)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
           ON CONFLICT (course_id, group_key) DO UPDATE
              SET name = EXCLUDED.name, set_key = EXCLUDED.set_key,
                  set_name = EXCLUDED.set_name, synced_at = clock_timestamp()""",
        course_id,
        keys,
        names,
        set_keys,
        set_names,
    )


async def upsert_group_members(
    conn: asyncpg.Connection,
    course_id: int,
    platform_id: int,
    *,
    subs: list[str],
    group_keys: list[str],
) -> None:
    """Who is in which group, one (member, group) pair per entry; the users exist already
    (upserted with the same roster page)."""
    await conn.execute(
        """INSERT INTO lti_group_members (course_id, group_key, user_id)
           SELECT $1, i.group_key, u.id
             FROM unnest($3::text[], $4::text[]) AS i(sub, group_key)
             JOIN users u ON u.platform_id = $2 AND u.sub = i.sub
           ON CONFLICT (course_id, group_key, user_id)
           DO UPDATE SET synced_at = clock_timestamp()""",
        course_id,
        platform_id,
        subs,
        group_keys,
    )


async def finish_groups_sync(conn: asyncpg.Connection, course_id: int, started_at: Any) -> None:
    """Drop the groups and memberships this sync did not see (all of them when the platform
    no longer offers groups), and note the time."""
    await conn.execute(
        "DELETE FROM lti_group_members WHERE course_id = $1 AND synced_at < $2",
        course_id,
        started_at,
    )
    await conn.execute(
        "DELETE FROM lti_groups WHERE course_id = $1 AND synced_at < $2", course_id, started_at
    )
    await conn.execute(
        """UPDATE lti_course_services
              SET groups_synced_at = CASE WHEN groups_url IS NULL THEN NULL ELSE now() END
            WHERE course_id = $1""",
        course_id,
    )


async def mark_sync_requested(conn: asyncpg.Connection, course_id: int) -> bool:
    """Note a sync asked for now, unless the course has no roster service or one was asked
    for in the last minute."""
    return bool(
        await conn.fetchval(
            """UPDATE lti_course_services SET nrps_requested_at = now()
                WHERE course_id = $1 AND nrps_url IS NOT NULL
                  AND (nrps_requested_at IS NULL OR nrps_requested_at < now() - interval '1 minute')
            RETURNING true""",
            course_id,
        )
    )
