"""Fixtures shared by the shell's tests: servers that are not there."""

from __future__ import annotations

import asyncpg
import pytest

from agora.db import Database
from agora.redis import create_redis


@pytest.fixture
async def unreachable_database(unused_tcp_port):
    """A pool pointing at a port nothing listens on."""
    pool = await asyncpg.create_pool(
        f"postgresql://postgres@127.0.0.1:{unused_tcp_port}/none", min_size=0, timeout=1
    )
    yield Database(pool=pool)
    await pool.close()


@pytest.fixture
async def unreachable_redis(tmp_path):
    """A Redis client for a socket nobody serves."""
    client = create_redis(f"unix://{tmp_path}/no-redis.sock")
    yield client
    await client.aclose()
