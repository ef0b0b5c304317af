"""Schemathesis against the OpenAPI document: no API operation answers a 5xx, whatever it is sent.

A real server (uvicorn, in a thread, with its own pool) runs the app on a database of its own
(created, migrated and seeded with the demo course, then dropped), so the fuzzer's writes stay
out of the other tests' transactions. Every operation is called with generated and mutated
(invalid) inputs, once with a learner's token and once with the instructor's, with the course
id fixed to the demo course so requests get past the course guard. Bounded: a few examples per
operation and role, well under a minute in all.

Each answer must be below 500, documented for its operation (agora.openapi lists the error
statuses of every route), and an error must be application/problem+json.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from agora.app import create_app
from agora.db import init_connection, migrate
from agora.demo import seed_demo
from agora.errors import PROBLEM_JSON
from agora.sessions import create_session
from agora.settings import load_settings

EXAMPLES_PER_OPERATION = 3
REQUEST_TIMEOUT = 10
# Never fuzzed: a stream that never ends, and the development LMS (its routes answer 404
# outside dev mode, and it is not part of the product).
SKIPPED = ("/events", "/dev/")


@dataclass
class FuzzServer:
    base_url: str
    course_id: int
    headers: dict[str, dict[str, str]]  # role -> Authorization header


def _database_url(admin_url: str, name: str) -> str:
    return urlunsplit(urlsplit(admin_url)._replace(path="/" + name))


async def _prepare(admin_url: str, name: str, settings) -> tuple[int, dict[str, dict[str, str]]]:
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    connection = await asyncpg.connect(_database_url(admin_url, name))
    try:
        await migrate(connection)
        await init_connection(connection)
        demo = await seed_demo(connection, settings)
        course_id = demo["course_id"]
        headers = {}
        for role, sub in (("learner", "dev-learner-1"), ("instructor", "dev-instructor")):
            token = await create_session(
                connection,
                user_id=demo["people"][sub],
                course_id=course_id,
                role=role,
                ttl_seconds=3600,
            )
            headers[role] = {"Authorization": f"Bearer {token}"}
        return course_id, headers
    finally:
        await connection.close()


async def _drop(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
def fuzz_server(server_urls):
    admin_url = server_urls["postgres"]
    name = f"agora_fuzz_{secrets.token_hex(4)}"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app_settings = load_settings(
        environ={},
        database_url=_database_url(admin_url, name),
        redis_url=server_urls["redis"],
        public_url=base_url,
    )
    # The database is prepared in a loop of its own: this fixture is synchronous (schemathesis
    # tests are) and the session's loop is not running between tests.
    course_id, headers = asyncio.run(_prepare(admin_url, name, app_settings))
    server = uvicorn.Server(
        uvicorn.Config(create_app(app_settings), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "the fuzzed server did not start"
        yield FuzzServer(base_url, course_id, headers)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        asyncio.run(_drop(admin_url, name))


@pytest.fixture(scope="session")
def operations(fuzz_server):
    """The API operations of the served document (the dev LMS and the event stream aside)."""
    schema = schemathesis.openapi.from_url(f"{fuzz_server.base_url}/schema/openapi.json")
    found = [result.ok() for result in schema.get_all_operations()]
    return [
        op
        for op in found
        if op.path.startswith("/api/v1/") and not any(part in op.path for part in SKIPPED)
    ]


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _problem(case, response) -> str | None:
    """What is wrong with this answer, or None."""
    where = f"{case.method} {case.formatted_path}"
    status = response.status_code
    if status >= 500:
        return f"{where} answered {status}: {response.text[:200]!r}\n    {case.as_curl_command()}"
    documented = case.operation.definition.raw.get("responses", {})
    if str(status) not in documented:
        return f"{where} answered {status}, not among its documented {sorted(documented)}"
    content_type = (response.headers.get("content-type") or [""])[0]  # schemathesis: lists
    if status >= 400 and not content_type.startswith(PROBLEM_JSON):
        return f"{where} answered {status} as {content_type!r}"
    return None


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_no_operation_answers_5xx(fuzz_server, operations, role):
    """Valid (positive) and invalid (negative) inputs for every operation; failures are
    collected rather than raised, so one run reports them all and hypothesis never shrinks."""
    assert len(operations) > 30, "the document lost its operations"
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    session = requests.Session()  # one keep-alive connection for the whole run
    for operation in operations:
        fixed = {
            name: fuzz_server.course_id
            for name in ("course_id", "course")
            if "{" + name + "}" in operation.path
        }
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode, path_parameters=fixed or None)

            @FUZZ_SETTINGS
            @given(case=strategy)
            def run(case) -> None:
                response = case.call(
                    base_url=fuzz_server.base_url,
                    session=session,
                    headers=fuzz_server.headers[role],
                    timeout=REQUEST_TIMEOUT,
                )
                statuses[response.status_code] += 1
                problem = _problem(case, response)
                if problem and len(failures) < 50:
                    failures.append(problem)

            try:
                run()
            except Unsatisfiable:
                pass  # nothing left to make invalid once the course id is fixed: not a failure
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} bad answers:\n  " + "\n  ".join(unique)
    # The run reached the handlers: a fuzzer stopped at the door would find nothing either.
    succeeded = sum(n for status, n in statuses.items() if status < 300)
    assert succeeded >= 20, f"too few successful calls to mean anything: {dict(statuses)}"
    print(f"{role}: {sum(statuses.values())} calls, by status {dict(sorted(statuses.items()))}")
