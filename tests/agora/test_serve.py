"""`agora serve` on several processes: a real `agora serve --processes 2 --worker` subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
import msgspec
import pytest

from agora.serve import per_process, process_count
from agora.settings import load_settings
from tests.agora.servers import PrivateRedis
from tests.agora.test_cli import AGORA, agora_env, free_port
from tests.agora.test_migrations import empty_database  # noqa: F401  (fixture)
from tests.conftest import create_course

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="finds which process holds a socket in /proc"
)


def test_each_process_gets_its_share_of_the_pool_and_of_the_request_cap():
    settings = load_settings(environ={}, db_pool_min=2, db_pool_max=10, max_requests=100)
    child = per_process(settings, 3)
    assert (child.db_pool_max, child.db_pool_min, child.max_requests) == (4, 2, 34)
    assert per_process(settings, 1) == msgspec.structs.replace(settings, processes=1)
    assert per_process(load_settings(environ={}, db_pool_max=1), 4).db_pool_max == 1


def test_one_process_per_cpu_unless_set_and_one_in_dev_mode():
    assert process_count(load_settings(environ={})) == len(os.sched_getaffinity(0))
    assert process_count(load_settings(environ={}, processes=3)) == 3
    assert process_count(load_settings(environ={}, processes=3), requested=2) == 2
    assert process_count(load_settings(environ={}, dev=True)) == 1


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def still_alive(pids: list[int], within: float) -> list[int]:
    """Those of `pids` still running after `within` seconds (or as soon as none is)."""
    deadline = time.monotonic() + within
    while (running := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


def cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def text(path: Path) -> str:
    return path.read_text()


def process_holding(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the server side of the loopback connection from client_port."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and (
            int(remote.split(":")[1], 16) == client_port
        ):
            inode = fields[9]
    for pid in pids:
        with_fds = Path(f"/proc/{pid}/fd")
        try:
            for fd in with_fds.iterdir():
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


async def open_stream(port: int, course_id: int, token: str):
    """An SSE request on a raw connection (its local port tells which process serves it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /api/v1/courses/{course_id}/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
    assert head.startswith(b"HTTP/1.1 200"), head
    return reader, writer, writer.get_extra_info("sockname")[1]


async def wait_ready(port: int, process, log: Path) -> None:
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient() as client:
        while True:
            assert process.returncode is None, text(log)
            try:
                if (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, text(log)
            await asyncio.sleep(0.2)


@pytest.fixture
async def private_redis(unused_tcp_port, tmp_path):
    """A Redis of the test's own: its job queue is read by this server's worker only (a fresh
    database's outbox job ids are also new to it)."""
    server = PrivateRedis(unused_tcp_port, tmp_path)
    server.start()
    await server.wait_up()
    yield server
    server.kill()


async def test_an_event_from_a_request_reaches_sse_clients_of_every_process_and_sigterm_stops_all(
    empty_database,  # noqa: F811
    private_redis,
    tmp_path,
):
    port = free_port()
    log = tmp_path / "serve.log"
    env = agora_env(database_url=empty_database, redis_url=private_redis.url, port=str(port))
    with log.open("wb") as out:
        serve = await asyncio.create_subprocess_exec(
            *AGORA, "serve", "--workers", "2", "--worker", env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    streams = []
    try:
        await wait_ready(port, serve, log)
        connection = await asyncpg.connect(empty_database)
        try:
            from agora.db import init_connection

            await init_connection(connection)
            course = await create_course(connection)
        finally:
            await connection.close()
        processes = children(serve.pid)
        # Open streams until both HTTP processes hold some: the kernel picks who accepts, and
        # on a loaded machine the second process may still be starting (it answers no /ready
        # of its own), so keep trying for a while, a few streams per process at most.
        holders: dict[int, int] = {}
        deadline = time.monotonic() + 45
        while len(holders) < 2 and time.monotonic() < deadline:
            reader, writer, client_port = await open_stream(port, course.id, course.bob.token)
            holder = process_holding(port, client_port, processes)
            assert holder is not None
            if holders.get(holder, 0) >= 3:
                writer.close()
                await asyncio.sleep(0.2)
                continue
            streams.append((reader, writer, holder))
            holders[holder] = holders.get(holder, 0) + 1
        assert len(holders) == 2, f"every stream went to one process: {holders}"

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            alice = {"Authorization": f"Bearer {course.alice.token}"}
            created = await client.post(
                f"/api/v1/courses/{course.id}/threads",
                json={"title": "Across processes", "body": "Does everyone see this?"},
                headers=alice,
            )
            assert created.status_code == 201, created.text
            thread_id = created.json()["thread"]["id"]

        async def sees_thread(reader: asyncio.StreamReader) -> bool:
            buffer = b""
            while f'"thread_id":{thread_id}'.encode() not in buffer:
                buffer += await reader.read(4096)
            return b"event: post_created" in buffer

        results = await asyncio.wait_for(
            asyncio.gather(*(sees_thread(reader) for reader, _, _ in streams)), 30
        )
        assert all(results)
        assert {holder for *_, holder in streams} == set(holders)

        serve.send_signal(signal.SIGTERM)

        async def ends(reader: asyncio.StreamReader) -> bool:
            while await reader.read(4096):
                pass
            return True

        # Each process ends its streams at once: the clients reconnect elsewhere.
        await asyncio.wait_for(asyncio.gather(*(ends(reader) for reader, _, _ in streams)), 15)
        assert await asyncio.wait_for(serve.wait(), 60) == 0, text(log)
        # The spawned job worker's resource tracker exits last, once its parent has.
        assert not still_alive(processes, within=10), text(log)
        assert "refused to gracefully stop" not in text(log)
    finally:
        for _, writer, _ in streams:
            writer.close()
        if serve.returncode is None:
            serve.kill()
            await serve.wait()


async def test_the_job_worker_and_http_processes_stop_when_agora_serve_is_killed_outright(
    empty_database,  # noqa: F811
    private_redis,
    tmp_path,
):
    port = free_port()
    log = tmp_path / "serve.log"
    env = agora_env(database_url=empty_database, redis_url=private_redis.url, port=str(port))
    with log.open("wb") as out:
        serve = await asyncio.create_subprocess_exec(
            *AGORA, "serve", "--processes", "1", "--worker", env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        await wait_ready(port, serve, log)
        processes = children(serve.pid)
        spawned = [pid for pid in processes if b"spawn_main" in cmdline(pid)]
        assert len(spawned) == 1, spawned  # the job worker (the HTTP process is forked)
        assert len(processes) >= 2, processes  # the HTTP process, the spawn resource tracker
        serve.kill()
        await serve.wait()
        assert not still_alive(processes, within=20), text(log)
        async with httpx.AsyncClient(timeout=2) as client:
            with pytest.raises(httpx.TransportError):  # nobody left listening on the port
                await client.get(f"http://127.0.0.1:{port}/ready")
    finally:
        if serve.returncode is None:
            serve.kill()
            await serve.wait()


async def test_a_server_stopped_while_its_processes_start_stops_at_once(
    empty_database,  # noqa: F811
    server_urls,
    tmp_path,
):
    """SIGTERM while the HTTP processes import and build the app: granian's workers ignored it
    and were killed 20 s later (a CI failure); now they stop within seconds."""
    for delay in (0.0, 0.5, 1.0, 1.5):
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        env = agora_env(database_url=empty_database, redis_url=server_urls["redis"], port=str(port))
        with log.open("wb") as out:
            serve = await asyncio.create_subprocess_exec(
                *AGORA, "serve", "--processes", "2", env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            deadline = time.monotonic() + 60
            while "Spawning worker-2" not in text(log):
                assert serve.returncode is None and time.monotonic() < deadline, text(log)
                await asyncio.sleep(0.05)
            await asyncio.sleep(delay)
            serve.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()
            await asyncio.wait_for(serve.wait(), timeout=30)
            took = time.monotonic() - stopped_at
            assert took < 12, f"{took:.1f} s after SIGTERM {delay} s into start-up:\n{text(log)}"
        finally:
            if serve.returncode is None:
                serve.kill()
                await serve.wait()


async def test_a_job_worker_still_starting_when_agora_serve_is_killed_stops_too(
    empty_database,  # noqa: F811
    private_redis,
    tmp_path,
):
    """Killed while its job worker still imports (a spawned interpreter takes seconds): the
    worker's watch must know the parent it was started by, not whoever adopts it after."""
    log = tmp_path / "serve.log"
    env = agora_env(database_url=empty_database, redis_url=private_redis.url, port=str(free_port()))
    with log.open("wb") as out:
        serve = await asyncio.create_subprocess_exec(
            *AGORA, "serve", "--processes", "1", "--worker", env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "Starting granian" not in text(log):  # the job worker was started just before
            assert serve.returncode is None and time.monotonic() < deadline, text(log)
            await asyncio.sleep(0.02)
        processes = children(serve.pid)
        serve.kill()
        await serve.wait()
        assert processes and not still_alive(processes, within=20), text(log)
    finally:
        if serve.returncode is None:
            serve.kill()
            await serve.wait()
