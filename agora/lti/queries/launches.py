"""What a launch writes: the course (LTI context), the user, the membership with its role, the
resource link and its target, and the course's NRPS endpoint."""

from __future__ import annotations

from typing import Any

import asyncpg


async def upsert_course(
    conn: asyncpg.Connection,
    *,
    platform_id: int,
    deployment_id: str,
    context_id: str,
    title: str,
    label: str,
    language: str,
) -> int:
    """The course of (platform, context); an empty title or label keeps the known one."""
    course_id: int = await conn.fetchval(
        """INSERT INTO courses (platform_id, deployment_id, context_id, title, label, language)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (platform_id, context_id) DO UPDATE
              SET title = CASE WHEN EXCLUDED.title = '' THEN courses.title
                               ELSE EXCLUDED.title END,
                  label = CASE WHEN EXCLUDED.label = '' THEN courses.label
                               ELSE EXCLUDED.label END,
                  deployment_id = EXCLUDED.deployment_id
           RETURNING id""",
        platform_id,
        deployment_id,
        context_id,
        title,
        label,
        language,
    )
    return course_id


async def select_course_heading(conn: asyncpg.Connection, course_id: int) -> asyncpg.Record | None:
    """title and language of a course."""
    return await conn.fetchrow("SELECT title, language FROM courses WHERE id = $1", course_id)


async def upsert_user(
    conn: asyncpg.Connection,
    *,
    platform_id: int,
    sub: str,
    name: str,
    given_name: str,
    family_name: str,
    email: str,
    locale: str,
) -> int:
    # Platforms may omit PII claims on some launches; an empty value never erases a known one.
    user_id: int = await conn.fetchval(
        """INSERT INTO users (platform_id, sub, name, given_name, family_name, email, locale)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (platform_id, sub) DO UPDATE
              SET name = COALESCE(NULLIF(EXCLUDED.name, ''), users.name),
                  given_name = COALESCE(NULLIF(EXCLUDED.given_name, ''), users.given_name),
                  family_name = COALESCE(NULLIF(EXCLUDED.family_name, ''), users.family_name),
                  email = COALESCE(NULLIF(EXCLUDED.email, ''), users.email),
                  locale = COALESCE(NULLIF(EXCLUDED.locale, ''), users.locale)
           RETURNING id""",
        platform_id,
        sub,
        name,
        given_name,
        family_name,
        email,
        locale,
    )
    return user_id


async def upsert_membership(
    conn: asyncpg.Connection, *, course_id: int, user_id: int, role: str, lti_roles: list[str]
) -> None:
    await conn.execute(
        """INSERT INTO memberships (course_id, user_id, role, lti_roles, active)
           VALUES ($1, $2, $3, $4, true)
           ON CONFLICT (course_id, user_id) DO UPDATE
              SET role = EXCLUDED.role, lti_roles = EXCLUDED.lti_roles, active = true,
                  updated_at = now()""",
        course_id,
        user_id,
        role,
        lti_roles,
    )


async def select_resource_link(
    conn: asyncpg.Connection, course_id: int, link_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM lti_resource_links WHERE course_id = $1 AND resource_link_id = $2",
        course_id,
        link_id,
    )


async def upsert_resource_link(
    conn: asyncpg.Connection,
    *,
    course_id: int,
    resource_link_id: str,
    title: str,
    custom: dict[str, Any],
    target_kind: str,
    target_id: int | None,
    lineitems_url: str | None,
    lineitem_url: str | None,
    ags_scopes: list[str],
) -> int:
    """A launch without an AGS endpoint keeps the endpoint an earlier launch stored."""
    link_id: int = await conn.fetchval(
        """INSERT INTO lti_resource_links AS l (course_id, resource_link_id, title, custom,
                   target_kind, target_id, lineitems_url, lineitem_url, ags_scopes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (course_id, resource_link_id) DO UPDATE
              SET title = EXCLUDED.title, custom = EXCLUDED.custom,
                  target_kind = EXCLUDED.target_kind, target_id = EXCLUDED.target_id,
                  lineitems_url = COALESCE(EXCLUDED.lineitems_url, l.lineitems_url),
                  lineitem_url = COALESCE(EXCLUDED.lineitem_url, l.lineitem_url),
                  ags_scopes = CASE WHEN EXCLUDED.lineitems_url IS NULL
                                    THEN l.ags_scopes
                                    ELSE EXCLUDED.ags_scopes END,
                  updated_at = now()
           RETURNING id""",
        course_id,
        resource_link_id,
        title,
        custom,
        target_kind,
        target_id,
        lineitems_url,
        lineitem_url,
        ags_scopes,
    )
    return link_id


async def upsert_course_services(
    conn: asyncpg.Connection,
    course_id: int,
    *,
    nrps_url: str,
    groups_url: str | None,
    group_sets_url: str | None,
) -> bool:
    """Record the roster (NRPS) and groups endpoints the launch named; True when a roster sync
    is due (never requested, or not in the last 6 hours): the caller enqueues it."""
    due = bool(
        await conn.fetchval(
            """INSERT INTO lti_course_services (course_id, nrps_url, groups_url, group_sets_url)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (course_id) DO UPDATE
                  SET nrps_url = EXCLUDED.nrps_url, groups_url = EXCLUDED.groups_url,
                      group_sets_url = EXCLUDED.group_sets_url, updated_at = now()
               RETURNING nrps_requested_at IS NULL
                      OR nrps_requested_at < now() - interval '6 hours'""",
            course_id,
            nrps_url,
            groups_url,
            group_sets_url,
        )
    )
    if due:
        await conn.execute(
            "UPDATE lti_course_services SET nrps_requested_at = now() WHERE course_id = $1",
            course_id,
        )
    return due
