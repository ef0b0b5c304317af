"""The load: a course seeded straight into the database (sessions as a launch makes them), then
clients replying to the instructor's threads through the API, each reply retried with its
Idempotency-Key until it is acknowledged (201) or refused, as a careful client would."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import httpx

from agora.db import init_connection
from agora.sessions import create_session

# Transient answers a client retries (with the same key): unavailable, shed, rate limited.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
REQUEST_TIMEOUT = 10.0
GIVE_UP_AFTER = 90.0  # seconds one reply is retried before the client gives up on it


@dataclass
class Course:
    id: int
    owner_id: int
    owner_token: str
    learner_tokens: list[str]
    roots: list[tuple[int, int]] = field(default_factory=list)  # (thread id, opening post id)


async def seed(database_url: str, learners: int) -> Course:
    """A platform, a course without posting limits, an instructor and `learners` learners."""
    connection = await asyncpg.connect(database_url)
    await init_connection(connection)
    try:
        async with connection.transaction():
            tag = secrets.token_hex(4)
            platform_id = await connection.fetchval(
                """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url,
                                          jwks_url)
                   VALUES ($1, 'faults', 'https://lms.invalid/auth', 'https://lms.invalid/token',
                           'https://lms.invalid/jwks') RETURNING id""",
                f"https://faults-{tag}.invalid",
            )
            await connection.execute(
                "INSERT INTO deployments (platform_id, deployment_id) VALUES ($1, 'd1')",
                platform_id,
            )
            course_id = await connection.fetchval(
                """INSERT INTO courses (platform_id, deployment_id, context_id, title, settings)
                   VALUES ($1, 'd1', $2, 'Fault injection', $3) RETURNING id""",
                platform_id,
                f"faults-{tag}",
                {"forum": {"post_interval_seconds": 0, "threads_per_day": 1000}},
            )
            tokens = []
            for index in range(learners + 1):
                role = "instructor" if index == 0 else "learner"
                user_id = await connection.fetchval(
                    "INSERT INTO users (platform_id, sub, name) VALUES ($1, $2, $3) RETURNING id",
                    platform_id,
                    f"user-{index}",
                    f"Person {index}",
                )
                await connection.execute(
                    "INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, $3)",
                    course_id,
                    user_id,
                    role,
                )
                token = await create_session(
                    connection, user_id=user_id, course_id=course_id, role=role,
                    ttl_seconds=4 * 3600,
                )  # fmt: skip
                tokens.append((user_id, token))
    finally:
        await connection.close()
    (owner_id, owner_token), *rest = tokens
    return Course(course_id, owner_id, owner_token, [token for _, token in rest])


async def create_threads(base_url: str, course: Course, count: int) -> None:
    headers = {"Authorization": f"Bearer {course.owner_token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        for index in range(count):
            response = await client.post(
                f"/api/v1/courses/{course.id}/threads",
                json={"title": f"Fault thread {index}", "body": "Reply here."},
                headers={**headers, "Idempotency-Key": f"thread-{index}"},
            )
            response.raise_for_status()
            thread = response.json()
            course.roots.append((thread["thread"]["id"], thread["posts"][0]["id"]))


@dataclass
class Tally:
    """What the clients saw: every answer's status (or error), and the acknowledged replies."""

    statuses: Counter[str] = field(default_factory=Counter)
    acknowledged: dict[str, int] = field(default_factory=dict)  # key -> post id
    given_up: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # a 4xx other than the retried ones
    requests: int = 0


async def reply_until_acknowledged(
    client: httpx.AsyncClient, tally: Tally, thread: tuple[int, int], key: str
) -> None:
    thread_id, root_id = thread
    body = {"body": f"reply {key}", "parent_id": root_id}
    deadline = time.monotonic() + GIVE_UP_AFTER
    delay = 0.1
    while True:
        tally.requests += 1
        try:
            response = await client.post(
                f"/api/v1/threads/{thread_id}/posts", json=body, headers={"Idempotency-Key": key}
            )
        except httpx.HTTPError as error:
            tally.statuses[type(error).__name__] += 1
        else:
            tally.statuses[str(response.status_code)] += 1
            if response.status_code == 201:
                tally.acknowledged[key] = response.json()["id"]
                return
            if response.status_code not in RETRY_STATUSES:
                tally.refused.append(f"{key}: {response.status_code} {response.text[:200]}")
                return
        if time.monotonic() > deadline:
            tally.given_up.append(key)
            return
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 2.0)


async def run_clients(
    base_url: str, course: Course, tally: Tally, stop: asyncio.Event, max_replies: int
) -> None:
    """One client per learner, each replying in turn until `stop` or `max_replies` in all."""
    started = 0

    async def client_loop(index: int, token: str) -> None:
        nonlocal started
        async with httpx.AsyncClient(
            base_url=base_url, timeout=REQUEST_TIMEOUT,
            headers={"Authorization": f"Bearer {token}"},
        ) as client:  # fmt: skip
            sequence = 0
            while not stop.is_set() and started < max_replies:
                started += 1
                sequence += 1
                thread = course.roots[(index + sequence) % len(course.roots)]
                await reply_until_acknowledged(client, tally, thread, f"c{index}-{sequence}")

    await asyncio.gather(*(client_loop(i, t) for i, t in enumerate(course.learner_tokens)))
