"""The demo course a newcomer clicks through: a dev LMS platform, a course, its people.

Idempotent: running it again updates the same rows. Each context may add its own demo content
through a `seed(connection, course_id, people)` function in its `demo` module.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from agora.contexts import context_modules
from agora.settings import Settings

DEV_ISSUER = "https://dev-lms.agora.test"
DEV_CLIENT_ID = "agora-dev-client"
DEV_DEPLOYMENT_ID = "dev-deployment-1"
DEMO_CONTEXT_ID = "demo-course-climate-101"

# (sub, name, given, family, role)
DEMO_PEOPLE = [
    ("dev-instructor", "Inès Moreau", "Inès", "Moreau", "instructor"),
    ("dev-ta", "Tomás Alvarez", "Tomás", "Alvarez", "ta"),
    ("dev-learner-1", "Amara Okafor", "Amara", "Okafor", "learner"),
    ("dev-learner-2", "Lucas Bernard", "Lucas", "Bernard", "learner"),
    ("dev-learner-3", "Mei Chen", "Mei", "Chen", "learner"),
    ("dev-learner-4", "Jonas Weber", "Jonas", "Weber", "learner"),
]


async def upsert_dev_platform(connection: asyncpg.Connection, base_url: str) -> int:
    dev = f"{base_url}/dev/lms"
    platform_id: int = await connection.fetchval(
        """INSERT INTO platforms (issuer, client_id, name, auth_login_url, auth_token_url, jwks_url)
           VALUES ($1, $2, 'Agora dev LMS', $3, $4, $5)
           ON CONFLICT (issuer, client_id) DO UPDATE
              SET auth_login_url = EXCLUDED.auth_login_url,
                  auth_token_url = EXCLUDED.auth_token_url,
                  jwks_url = EXCLUDED.jwks_url
           RETURNING id""",
        DEV_ISSUER,
        DEV_CLIENT_ID,
        f"{dev}/authorize",
        f"{dev}/token",
        f"{dev}/jwks",
    )
    return platform_id


async def seed_demo(connection: asyncpg.Connection, settings: Settings) -> dict[str, Any]:
    async with connection.transaction():
        platform_id = await upsert_dev_platform(connection, settings.base_url)
        await connection.execute(
            """INSERT INTO deployments (platform_id, deployment_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING""",
            platform_id,
            DEV_DEPLOYMENT_ID,
        )
        course_id = await connection.fetchval(
            """INSERT INTO courses (platform_id, deployment_id, context_id, title, label)
               VALUES ($1, $2, $3, 'Climate Science 101', 'CLIM101')
               ON CONFLICT (platform_id, context_id) DO UPDATE SET title = EXCLUDED.title
               RETURNING id""",
            platform_id,
            DEV_DEPLOYMENT_ID,
            DEMO_CONTEXT_ID,
        )
        people: dict[str, int] = {}
        for sub, name, given, family, role in DEMO_PEOPLE:
            user_id = await connection.fetchval(
                """INSERT INTO users (platform_id, sub, name, given_name, family_name, email)
                   VALUES ($1, $2, $3, $4, $5, $2 || '@dev-lms.agora.test')
                   ON CONFLICT (platform_id, sub) DO UPDATE SET name = EXCLUDED.name
                   RETURNING id""",
                platform_id,
                sub,
                name,
                given,
                family,
            )
            await connection.execute(
                """INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, $3)
                   ON CONFLICT (course_id, user_id) DO UPDATE SET role = EXCLUDED.role""",
                course_id,
                user_id,
                role,
            )
            people[sub] = user_id
        for module in context_modules("demo"):
            await module.seed(connection, course_id, people)
    return {"platform_id": platform_id, "course_id": course_id, "people": people}


async def seed_demo_url(settings: Settings) -> str:
    from agora.db import init_connection

    connection = await asyncpg.connect(settings.database_url)
    try:
        # The contexts' demo seeds write JSON columns: the same codecs as the app's pool.
        await init_connection(connection)
        result = await seed_demo(connection, settings)
    finally:
        await connection.close()
    return f"demo course {result['course_id']} ready with {len(result['people'])} people"
