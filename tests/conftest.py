"""Fixtures: a real PostgreSQL and Redis, each test in a rolled-back transaction.

AGORA_TEST_DATABASE_URL / AGORA_TEST_REDIS_URL point the suite at running servers (the test
database is created fresh on that server and dropped at the end; give Redis a database number of
its own, e.g. redis://127.0.0.1:6379/14, since each test flushes it). Without them the suite starts
the embedded servers once per session in a temporary directory.

Under pytest-xdist (`-n 2`) each worker is a session of its own: its own test database, and its
own Redis database, the given number plus the worker's index (gw0 → /14, gw1 → /15), so leave
room above the number given. Without those variables each worker starts its own embedded servers.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from agora.app import create_app
from agora.db import Database, init_connection, migrate
from agora.redis import create_redis
from agora.sessions import create_session
from agora.settings import Settings, load_settings
from agora.worker import build_worker


def pytest_collection_modifyitems(config, items):
    """The Open edX tests share one platform server per session: keep them in one xdist worker."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("openedx"):
            item.add_marker(pytest.mark.xdist_group("openedx"))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def xdist_worker_index() -> int:
    """This pytest-xdist worker's number (gw0 → 0, gw1 → 1); 0 when not running under xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


def redis_for_worker(url: str, index: int) -> str:
    """`url`'s Redis database number plus `index`: one database per xdist worker (each test
    flushes its database, so two workers must never share one). The number is the path of a
    redis:// URL and the `db` parameter of a unix:// one."""
    if index == 0:
        return url
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(int(query.get("db", 0)) + index)
        return f"{url.partition('?')[0]}?{urlencode(query)}"
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + index}"))


@pytest.fixture(scope="session")
def server_urls(tmp_path_factory) -> dict[str, str]:
    from agora.embedded import start_postgres, start_redis

    redis_url = os.environ.get("AGORA_TEST_REDIS_URL", "")
    urls = {
        "postgres": os.environ.get("AGORA_TEST_DATABASE_URL", ""),
        "redis": redis_for_worker(redis_url, xdist_worker_index()) if redis_url else "",
    }
    stops = []
    data_dir = tmp_path_factory.mktemp("embedded")
    if not urls["postgres"]:
        urls["postgres"], stop = start_postgres(data_dir)
        stops.append(stop)
    if not urls["redis"]:
        urls["redis"], stop = start_redis(data_dir)
        stops.append(stop)
    yield urls
    for stop in stops:
        stop()


@pytest.fixture(scope="session")
async def admin_url(server_urls) -> str:
    return server_urls["postgres"]


@pytest.fixture(scope="session")
async def database_url(admin_url) -> AsyncIterator[str]:
    """A fresh database on the test server, migrated once for the whole session."""
    name = f"agora_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(admin_url, name)
    connection = await asyncpg.connect(url)
    await migrate(connection)
    await connection.close()
    yield url
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
async def session_connection(database_url) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    await init_connection(connection)
    yield connection
    await connection.close()


@pytest.fixture
async def conn(session_connection) -> AsyncIterator[asyncpg.Connection]:
    """The test's connection, inside a transaction rolled back when the test ends."""
    transaction = session_connection.transaction()
    await transaction.start()
    try:
        yield session_connection
    finally:
        await transaction.rollback()


@pytest.fixture
async def redis(server_urls):
    client = create_redis(server_urls["redis"])
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def settings(database_url, server_urls) -> Settings:
    return load_settings(
        environ={},
        database_url=database_url,
        redis_url=server_urls["redis"],
        public_url="http://testserver.local",
    )


@pytest.fixture
def database(conn) -> Database:
    return Database(connection=conn)


@pytest.fixture
def app(settings, database, redis):
    return create_app(settings, database=database, redis=redis)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in this event loop (the one the test connection lives in).

    The app was handed its database and Redis, so it needs no lifespan run.
    """
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
def run_jobs(settings, database, redis):
    """Run every queued arq job in-process (burst mode) against the real Redis."""

    async def run() -> int:
        worker = build_worker(settings, database=database, burst=True, redis=redis)
        # No worker.close(): it would close the fixture's Redis client (arq closes its pool).
        await worker.main()
        return worker.jobs_complete

    return run


# ---- a course with people in it -----------------------------------------------------------


@dataclass
class Member:
    user_id: int
    role: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Course:
    id: int
    platform_id: int
    members: dict[str, Member] = field(default_factory=dict)

    def __getattr__(self, key: str) -> Member:
        try:
            return self.members[key]
        except KeyError:
            raise AttributeError(key) from None


async def create_course(
    connection: asyncpg.Connection,
    people=(
        ("instructor", "instructor"),
        ("ta", "ta"),
        ("alice", "learner"),
        ("bob", "learner"),
        ("carol", "learner"),
    ),
    *,
    language: str = "en",
    settings_json: dict | None = None,
) -> Course:
    """A platform, a course and its members, each with a session token (as a launch makes)."""
    tag = secrets.token_hex(4)
    platform_id = await connection.fetchval(
        """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url)
           VALUES ($1, 'client', 'https://lms.test/auth', 'https://lms.test/token',
                   'https://lms.test/jwks') RETURNING id""",
        f"https://lms-{tag}.test",
    )
    await connection.execute(
        "INSERT INTO deployments (platform_id, deployment_id) VALUES ($1, 'd1')", platform_id
    )
    course_id = await connection.fetchval(
        """INSERT INTO courses (platform_id, deployment_id, context_id, title, language, settings)
           VALUES ($1, 'd1', $2, 'Test course', $3, $4) RETURNING id""",
        platform_id,
        f"ctx-{tag}",
        language,
        settings_json or {},
    )
    course = Course(id=course_id, platform_id=platform_id)
    for key, role in people:
        name = key.capitalize()
        user_id = await connection.fetchval(
            "INSERT INTO users (platform_id, sub, name) VALUES ($1, $2, $3) RETURNING id",
            platform_id,
            f"sub-{key}",
            name,
        )
        await connection.execute(
            "INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, $3)",
            course_id,
            user_id,
            role,
        )
        token = await create_session(
            connection, user_id=user_id, course_id=course_id, role=role, ttl_seconds=3600
        )
        course.members[key] = Member(user_id, role, name, token)
    return course


@pytest.fixture
async def course(conn) -> Course:
    return await create_course(conn)


@pytest.fixture
async def other_course(conn) -> Course:
    return await create_course(conn)


# ---- object stores (files): the local filesystem and a real S3-protocol server -------------


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on a free loopback port, for the whole session (a real S3 protocol
    server: signed requests, buckets, listing, deletes)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["filesystem", "s3"])
def store(request, tmp_path):
    """Each test that takes it runs twice: on the filesystem store (the embedded default) and on
    a fresh bucket of the S3 server, through the same agora.storage functions."""
    from agora import storage

    if request.param == "filesystem":
        return storage.local_store(tmp_path / "objects")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"agora-{secrets.token_hex(6)}"
    httpx.put(f"{endpoint}/{bucket}").raise_for_status()
    return storage.s3_store(bucket=bucket, endpoint=endpoint, access_key="test", secret_key="test")
