"""Transactions that lost a lock race run again.

PostgreSQL aborts one side of a deadlock (and, above READ COMMITTED, a transaction whose
snapshot can no longer be serialised). The forum takes its locks in one order, so this should
not happen; when it does anyway, running the work again from its start succeeds on current data
instead of answering 500.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

import asyncpg

log = logging.getLogger("agora.transactions")

P = ParamSpec("P")
T = TypeVar("T")

CONFLICTS = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
CONFLICT_ATTEMPTS = 3


def retry_on_conflict(
    operation: Callable[Concatenate[asyncpg.Connection, P], Awaitable[T]],
) -> Callable[Concatenate[asyncpg.Connection, P], Awaitable[T]]:
    """Run `operation(connection, ...)` in a savepoint of the caller's transaction (a transaction
    of its own outside one) and, when PostgreSQL aborts it for a deadlock or a serialization
    failure, roll back to the savepoint and run it again (CONFLICT_ATTEMPTS runs in all).

    A retry repeats everything the operation does, so it must change nothing outside the
    database (Redis, HTTP): take rate limits before calling it."""

    @functools.wraps(operation)
    async def run(connection: asyncpg.Connection, /, *args: P.args, **kwargs: P.kwargs) -> T:
        attempt = 1
        while True:
            try:
                async with connection.transaction():
                    return await operation(connection, *args, **kwargs)
            except CONFLICTS as error:
                if attempt >= CONFLICT_ATTEMPTS:
                    raise
                log.info("%s: %s; running it again", operation.__qualname__, error)
            # A random pause, so the two sides of a deadlock do not meet again at once.
            await asyncio.sleep(random.uniform(0.0, 0.02 * attempt))
            attempt += 1

    return run
