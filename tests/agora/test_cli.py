"""The `agora` command as an operator runs it: real processes, real servers."""

import asyncio
import os
import socket
import subprocess
import sys
import time

import asyncpg
import httpx
import pytest

from tests.agora.test_migrations import empty_database  # noqa: F401  (fixture)

AGORA = [sys.executable, "-m", "agora.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def agora_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update({f"AGORA_{k.upper()}": v for k, v in values.items()})
    return env


def test_bad_setting_stops_with_a_message_naming_it():
    result = subprocess.run(
        [*AGORA, "migrate"], env=agora_env(port="eighty"), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "AGORA_PORT" in result.stderr


def test_migrate_on_embedded_servers_keeps_data_across_runs(tmp_path):
    env = agora_env(data_dir=str(tmp_path / "data"))
    first = subprocess.run([*AGORA, "migrate"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "applied migration 0001_core.sql" in first.stdout
    second = subprocess.run([*AGORA, "migrate"], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "applied migration" not in second.stdout
    assert "schema is up to date" in second.stdout


async def test_two_servers_started_together_on_an_empty_database_both_come_up(
    empty_database,  # noqa: F811
    server_urls,
    tmp_path,
):
    ports = [free_port(), free_port()]
    log_paths = [tmp_path / f"serve-{port}.log" for port in ports]
    processes = []
    for port, log_path in zip(ports, log_paths, strict=True):
        with log_path.open("wb") as log:
            processes.append(
                await asyncio.create_subprocess_exec(
                    *AGORA,
                    "serve",
                    env=agora_env(
                        database_url=empty_database,
                        redis_url=server_urls["redis"],
                        port=str(port),
                    ),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        async with httpx.AsyncClient() as client:
            for port in ports:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        response = await client.get(f"http://127.0.0.1:{port}/ready")
                        if response.status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        log = (tmp_path / f"serve-{port}.log").read_text()
                        pytest.fail(f"server on {port} did not become ready:\n{log}")
                    await asyncio.sleep(0.2)
        connection = await asyncpg.connect(empty_database)
        try:
            rows = await connection.fetch(
                "SELECT version, count(*) AS n FROM schema_migrations GROUP BY version"
            )
        finally:
            await connection.close()
        assert rows and all(r["n"] == 1 for r in rows)
        assert {r["version"] for r in rows} >= {1}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=20)


async def test_migrate_creates_the_dev_lms_tables_only_in_dev_mode(
    empty_database,  # noqa: F811
    server_urls,
    tmp_path,
):
    async def devlms_tables() -> set[str]:
        connection = await asyncpg.connect(empty_database)
        try:
            rows = await connection.fetch(
                """SELECT table_name FROM information_schema.tables
                    WHERE table_schema = 'public' AND table_name LIKE 'devlms%'"""
            )
        finally:
            await connection.close()
        return {r["table_name"] for r in rows}

    async def migrate(env: dict[str, str]) -> str:
        process = await asyncio.create_subprocess_exec(
            *AGORA, "migrate", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()

    settings = {"database_url": empty_database, "redis_url": server_urls["redis"]}
    assert "applied migration 0005_drop_devlms_tables.sql" in await migrate(agora_env(**settings))
    assert await devlms_tables() == set()
    dev = agora_env(**settings, dev="1", data_dir=str(tmp_path / "data"))
    for _ in range(2):  # idempotent
        await migrate(dev)
    assert await devlms_tables() == {"devlms_links", "devlms_lineitems", "devlms_scores"}
