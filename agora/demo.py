"""The demo course a newcomer clicks through: a dev LMS platform, a course, its people.

Idempotent: running it again updates the same rows. Each context may add its own demo content
through a `seed(connection, course_id, people)` function in its `demo` module.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from agora.contexts import context_modules
from agora.lti.queries import platforms
from agora.queries import demo as demo_queries
from agora.settings import Settings

DEV_ISSUER = "https://dev-lms.agora.test"
DEV_CLIENT_ID = "agora-dev-client"
DEV_DEPLOYMENT_ID = "dev-deployment-1"
DEV_PLATFORM_NAME = "Agora dev LMS"
DEV_EMAIL_DOMAIN = "dev-lms.agora.test"
DEMO_CONTEXT_ID = "demo-course-climate-101"
DEMO_COURSE_TITLE, DEMO_COURSE_LABEL = "Climate Science 101", "CLIM101"

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
    return await platforms.upsert_platform(
        connection,
        issuer=DEV_ISSUER,
        client_id=DEV_CLIENT_ID,
        name=DEV_PLATFORM_NAME,
        auth_login_url=f"{dev}/authorize",
        auth_token_url=f"{dev}/token",
        jwks_url=f"{dev}/jwks",
    )


async def seed_demo(connection: asyncpg.Connection, settings: Settings) -> dict[str, Any]:
    async with connection.transaction():
        platform_id = await upsert_dev_platform(connection, settings.base_url)
        await platforms.insert_deployment(connection, platform_id, DEV_DEPLOYMENT_ID)
        course_id = await demo_queries.upsert_course(
            connection,
            platform_id=platform_id,
            deployment_id=DEV_DEPLOYMENT_ID,
            context_id=DEMO_CONTEXT_ID,
            title=DEMO_COURSE_TITLE,
            label=DEMO_COURSE_LABEL,
        )
        people: dict[str, int] = {}
        for sub, name, given, family, role in DEMO_PEOPLE:
            user_id = await demo_queries.upsert_user(
                connection,
                platform_id=platform_id,
                sub=sub,
                name=name,
                given_name=given,
                family_name=family,
                email=f"{sub}@{DEV_EMAIL_DOMAIN}",
            )
            await demo_queries.upsert_membership(connection, course_id, user_id, role=role)
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
