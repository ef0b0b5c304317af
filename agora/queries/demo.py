"""What the demo seed (agora.demo) writes: its course, people and memberships.

Unlike a launch's upserts (agora/lti/queries/launches.py), seeding again refreshes only the
course title, a person's display name and a member's role, and leaves the rest as it is."""

from __future__ import annotations

import asyncpg


async def upsert_course(
    conn: asyncpg.Connection,
    *,
    platform_id: int,
    deployment_id: str,
    context_id: str,
    title: str,
    label: str,
) -> int:
    course_id: int = await conn.fetchval(
        """INSERT INTO courses (platform_id, deployment_id, context_id, title, label)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (platform_id, context_id) DO UPDATE SET title = EXCLUDED.title
           RETURNING id""",
        platform_id,
        deployment_id,
        context_id,
        title,
        label,
    )
    return course_id


async def upsert_user(
    conn: asyncpg.Connection,
    *,
    platform_id: int,
    sub: str,
    name: str,
    given_name: str,
    family_name: str,
    email: str,
) -> int:
    user_id: int = await conn.fetchval(
        """INSERT INTO users (platform_id, sub, name, given_name, family_name, email)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (platform_id, sub) DO UPDATE SET name = EXCLUDED.name
           RETURNING id""",
        platform_id,
        sub,
        name,
        given_name,
        family_name,
        email,
    )
    return user_id


async def upsert_membership(
    conn: asyncpg.Connection, course_id: int, user_id: int, *, role: str
) -> None:
    await conn.execute(
        """INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (course_id, user_id) DO UPDATE SET role = EXCLUDED.role""",
        course_id,
        user_id,
        role,
    )
