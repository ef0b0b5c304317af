"""Idempotency-Key on creates: a retry after a lost answer replays the first answer.

A client that sends `Idempotency-Key: <up to 200 visible characters>` with a create (a forum
thread or reply, a peer review submission) and never sees the answer (PostgreSQL restarted, a
proxy gave up) sends the same request again with the same key. The key, a fingerprint of the
request and the answer are stored in the transaction of the write, so either both committed and
the retry gets the stored answer (same ids, header `Idempotent-Replayed: true`), or neither did
and the retry writes. The same key with another request is a 422; keys are per user and course
and are kept for KEEP_HOURS (agora.worker prunes them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter
from litestar.serialization import default_serializer

from agora.errors import Conflict, Unprocessable
from agora.queries import idempotency as idempotency_queries
from agora.sessions import Principal

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_HOURS = 24

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Send the same key when retrying a create whose answer was lost: the first "
        "answer is replayed instead of writing twice (kept 24 h, per user).",
    ),
]

T = TypeVar("T")


def fingerprint(method: str, path: str, body: bytes) -> bytes:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).digest()


async def once(
    conn: asyncpg.Connection,
    request: Request[Any, Any, Any],
    principal: Principal,
    key: str | None,
    write: Callable[[], Awaitable[Response[T]]],
) -> Response[T]:
    """`write()`'s answer, or the answer stored for `key` when this request was made before.

    Runs in the request's transaction (agora.app.provide_db): the claim, the write and the stored
    answer commit together; a write that fails rolls the claim back, so a retry writes."""
    if key is None:
        return await write()
    course_id, user_id = principal.course_id, principal.user_id
    print_ = fingerprint(request.method, request.url.path, await request.body())
    if not await idempotency_queries.insert_key(conn, course_id, user_id, key, print_):
        return _replay(
            await idempotency_queries.select_answer(conn, course_id, user_id, key), print_
        )
    response = await write()
    body = msgspec.json.encode(response.content, enc_hook=default_serializer)
    status = response.status_code or 200
    await idempotency_queries.update_answer(conn, course_id, user_id, key, status, body)
    return response


def _replay(stored: idempotency_queries.StoredAnswer | None, signature: bytes) -> Response[Any]:
    if stored is None or not stored.status or stored.response is None:
        # Pruned between the claim and this read, or never answered: let the client retry.
        raise Conflict(f"a request with this {HEADER} is not finished; retry it")
    if stored.fingerprint != signature:
        raise Unprocessable(f"this {HEADER} was already used for a different request")
    return Response(
        content=stored.response,
        status_code=stored.status,
        media_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )
