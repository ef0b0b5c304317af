"""SQL of the LTI context. Plain SQL, bind parameters only."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

# ---- tool keys --------------------------------------------------------------------------------


async def select_signing_key(connection: asyncpg.Connection):
    return await connection.fetchrow(
        """SELECT kid, private_pem FROM lti_tool_keys
            WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1"""
    )


async def select_published_keys(connection: asyncpg.Connection):
    return await connection.fetch(
        """SELECT kid, private_pem FROM lti_tool_keys
            WHERE not_after IS NULL OR not_after > now() ORDER BY created_at DESC"""
    )


async def select_tool_keys(connection: asyncpg.Connection):
    return await connection.fetch(
        "SELECT kid, created_at, retired_at, not_after FROM lti_tool_keys ORDER BY created_at"
    )


async def insert_tool_key(connection: asyncpg.Connection, kid: str, pem: str) -> None:
    await connection.execute(
        "INSERT INTO lti_tool_keys (kid, private_pem) VALUES ($1, $2)", kid, pem
    )


async def retire_tool_keys(connection: asyncpg.Connection, grace: timedelta) -> None:
    await connection.execute(
        """UPDATE lti_tool_keys SET retired_at = now(), not_after = now() + $1::interval
            WHERE retired_at IS NULL""",
        grace,
    )


# ---- platforms --------------------------------------------------------------------------------


async def select_platform(connection: asyncpg.Connection, platform_id: int):
    return await connection.fetchrow("SELECT * FROM platforms WHERE id = $1", platform_id)


async def select_platforms_by_issuer(connection: asyncpg.Connection, issuer: str, client_id: str):
    """Platforms with this issuer (and this client_id unless it is empty)."""
    return await connection.fetch(
        """SELECT * FROM platforms WHERE issuer = $1 AND ($2 = '' OR client_id = $2)
            ORDER BY id LIMIT 2""",
        issuer,
        client_id,
    )


async def select_platforms(connection: asyncpg.Connection):
    return await connection.fetch(
        """SELECT p.*, COALESCE(array_agg(d.deployment_id ORDER BY d.deployment_id)
                  FILTER (WHERE d.deployment_id IS NOT NULL), '{}') AS deployments
             FROM platforms p LEFT JOIN deployments d ON d.platform_id = p.id
            GROUP BY p.id ORDER BY p.id"""
    )


async def upsert_platform(
    connection: asyncpg.Connection,
    *,
    issuer: str,
    client_id: str,
    name: str,
    auth_login_url: str,
    auth_token_url: str,
    jwks_url: str,
) -> int:
    return await connection.fetchval(
        """INSERT INTO platforms (issuer, client_id, name, auth_login_url, auth_token_url, jwks_url)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (issuer, client_id) DO UPDATE
              SET name = EXCLUDED.name, auth_login_url = EXCLUDED.auth_login_url,
                  auth_token_url = EXCLUDED.auth_token_url, jwks_url = EXCLUDED.jwks_url
           RETURNING id""",
        issuer,
        client_id,
        name,
        auth_login_url,
        auth_token_url,
        jwks_url,
    )


async def insert_deployment(
    connection: asyncpg.Connection, platform_id: int, deployment_id: str
) -> None:
    await connection.execute(
        """INSERT INTO deployments (platform_id, deployment_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        platform_id,
        deployment_id,
    )


async def deployment_exists(
    connection: asyncpg.Connection, platform_id: int, deployment_id: str
) -> bool:
    return await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM deployments WHERE platform_id = $1 AND deployment_id = $2)",
        platform_id,
        deployment_id,
    )


# ---- launch upserts ---------------------------------------------------------------------------


async def upsert_course(
    connection: asyncpg.Connection,
    *,
    platform_id: int,
    deployment_id: str,
    context_id: str,
    title: str,
    label: str,
    language: str,
) -> int:
    return await connection.fetchval(
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


async def upsert_user(
    connection: asyncpg.Connection,
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
    return await connection.fetchval(
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


async def upsert_membership(
    connection: asyncpg.Connection, *, course_id: int, user_id: int, role: str, lti_roles: list
) -> None:
    await connection.execute(
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


async def select_resource_link(connection: asyncpg.Connection, course_id: int, link_id: str):
    return await connection.fetchrow(
        "SELECT * FROM lti_resource_links WHERE course_id = $1 AND resource_link_id = $2",
        course_id,
        link_id,
    )


async def upsert_resource_link(
    connection: asyncpg.Connection,
    *,
    course_id: int,
    resource_link_id: str,
    title: str,
    custom: dict,
    target_kind: str,
    target_id: int | None,
    lineitems_url: str | None,
    lineitem_url: str | None,
    ags_scopes: list[str],
) -> int:
    return await connection.fetchval(
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


async def upsert_nrps_url(connection: asyncpg.Connection, course_id: int, url: str) -> bool:
    """Store the NRPS URL; True (and marked requested) when a roster sync is due: never
    requested, or last requested more than 6 hours ago."""
    due = await connection.fetchval(
        """INSERT INTO lti_course_services (course_id, nrps_url) VALUES ($1, $2)
           ON CONFLICT (course_id) DO UPDATE SET nrps_url = EXCLUDED.nrps_url, updated_at = now()
           RETURNING nrps_requested_at IS NULL
                  OR nrps_requested_at < now() - interval '6 hours'""",
        course_id,
        url,
    )
    if due:
        await connection.execute(
            "UPDATE lti_course_services SET nrps_requested_at = now() WHERE course_id = $1",
            course_id,
        )
    return due


async def requeue_passbacks_without_endpoint(
    connection: asyncpg.Connection, course_id: int, limit: int
):
    return await connection.fetch(
        """UPDATE lti_score_passbacks SET status = 'pending', last_error = NULL, updated_at = now()
            WHERE (course_id, resource_id, user_id) IN (
                  SELECT course_id, resource_id, user_id FROM lti_score_passbacks
                   WHERE course_id = $1 AND status = 'no_endpoint' LIMIT $2)
           RETURNING resource_id, user_id""",
        course_id,
        limit,
    )
