"""Servers a test starts and stops itself: a Redis on a loopback port of its own."""

from __future__ import annotations

import asyncio
import subprocess
import time

from redis import exceptions as redis_errors

from agora.redis import create_redis


class PrivateRedis:
    """A Redis server of the test's own on a loopback port, to stop and start at will."""

    def __init__(self, port: int, directory) -> None:
        self.port, self.directory = port, directory
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from agora.embedded import _redis_binary

        self.process = subprocess.Popen(
            [_redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    async def wait_up(self) -> None:
        client = create_redis(self.url)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    await client.ping()
                    return
                except (OSError, redis_errors.ConnectionError):
                    assert time.monotonic() < deadline, "the private Redis did not start"
                    await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
