"""Forum test helpers: create threads and replies through the API, and drain the outbox."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from agora.outbox import relay_pending
from tests.conftest import create_course


@pytest.fixture
def drain(database, redis, run_jobs):
    """Relay the outbox to arq and run every job, as the worker would after commit."""

    async def run() -> int:
        done = 0
        while await relay_pending(database, redis):
            done += await run_jobs()
        return done

    return run


@pytest.fixture
def forum(client, course):
    return Forum(client, course)


class Forum:
    """Small API helpers so tests read as behaviour, not plumbing."""

    def __init__(self, client, course):
        self.client = client
        self.course = course

    async def thread(self, who, title="A question about week 1", body="Body text", **extra):
        response = await self.client.post(
            f"/api/v1/courses/{self.course.id}/threads",
            json={"title": title, "body": body, **extra},
            headers=who.headers,
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def reply(self, who, thread_id, body="A reply", **extra):
        response = await self.client.post(
            f"/api/v1/threads/{thread_id}/posts", json={"body": body, **extra}, headers=who.headers
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def read(self, who, thread_id, **params):
        response = await self.client.get(
            f"/api/v1/threads/{thread_id}", params=params, headers=who.headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def list(self, who, **params):
        response = await self.client.get(
            f"/api/v1/courses/{self.course.id}/threads", params=params, headers=who.headers
        )
        assert response.status_code == 200, response.text
        return response.json()


async def inbox(client, course, who, **params):
    """A member's notifications page (as JSON)."""
    response = await client.get(
        f"/api/v1/courses/{course.id}/notifications", params=params, headers=who.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


# Tests post quickly: no gap between posts unless a test sets one. All anonymity modes allowed.
TEST_FORUM_SETTINGS = {"post_interval_seconds": 0, "anonymity": ["none", "peers", "all"]}


@pytest.fixture
async def course(conn):
    return await create_course(conn, settings_json={"forum": TEST_FORUM_SETTINGS})


@pytest.fixture
async def other_course(conn):
    return await create_course(conn, settings_json={"forum": TEST_FORUM_SETTINGS})


class Mailbox:
    """What a real local SMTP server (aiosmtpd, on loopback) received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's readiness check needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, mailbox
    controller.stop()
