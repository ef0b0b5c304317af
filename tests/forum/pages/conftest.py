"""Forum page tests: a question thread to look at, and the URL and principal helpers."""

from __future__ import annotations

import pytest

from agora.sessions import select_principal
from forum.schemas import ThreadCreate
from forum.service import threads as threads_service


async def principal_of(conn, member):
    return await select_principal(conn, member.token)


@pytest.fixture
async def question(conn, redis, course):
    alice = await principal_of(conn, course.alice)
    read = await threads_service.create_thread(
        conn,
        redis,
        alice,
        course.id,
        ThreadCreate(
            title="How does ocean heat uptake work?",
            body="I read that **oceans** absorb heat. Is $Q = mc\\Delta T$ right?",
            kind="question",
        ),
    )
    return read.thread


def ui(course, path=""):
    return f"/ui/courses/{course.id}{path}"
