"""Attachment throughput: `python -m bench.forum.attachments [--files 200 --kib 256 --store s3]`.

Uploads `--files` files of `--kib` KiB through the API (POST /api/v1/posts/{id}/attachments:
session, post lock, type detection, quota, object write, row), then downloads each through its
signed link (link check, the viewer's visibility, object read), `--concurrency` requests at a
time, against the app in this process (httpx's ASGI transport: no sockets, so the figure is the
service's own cost) over a real connection pool. Beside it, in the same run, the baseline: the
same bytes written and read with obstore alone (put_async / get_async, same concurrency), on the
same store: the filesystem under a temporary directory, or `--store s3`, a bucket on moto's S3
server started here (a real S3 protocol server on loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from pathlib import Path

import httpx
import obstore

from agora import storage
from agora.app import create_app
from agora.db import Database, create_pool
from agora.redis import create_redis
from agora.sessions import create_session
from agora.settings import load_settings

from .__main__ import servers
from .course import fresh_course

DB_NAME = "agora_bench_attachments"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.forum.attachments", description=__doc__)
    p.add_argument("--files", type=int, default=200)
    p.add_argument("--kib", type=int, default=256)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--store", choices=["filesystem", "s3"], default="filesystem")
    p.add_argument("--data-dir", default=os.environ.get("AGORA_BENCH_DATA_DIR", ".agora/bench"))
    return p.parse_args(argv)


async def prepare(admin_url: str) -> tuple[str, int, int, str]:
    """A fresh database with one course and its instructor: (url, course, user, token)."""
    settings = '{"forum": {"edit_window_minutes": 0}}'
    url, conn, platform, course = await fresh_course(admin_url, DB_NAME, "files", settings)
    try:
        user = await conn.fetchval(
            """INSERT INTO users (platform_id, sub, name) VALUES ($1, 'instructor', 'Instructor')
               RETURNING id""",
            platform,
        )
        await conn.execute(
            "INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, 'instructor')",
            course,
            user,
        )
        token = await create_session(
            conn, user_id=user, course_id=course, role="instructor", ttl_seconds=3600
        )
    finally:
        await conn.close()
    return url, course, user, token


def open_bench_store(kind: str, directory: Path):
    """(store, stop): the filesystem store, or a fresh bucket on a moto S3 server."""
    if kind == "filesystem":
        return storage.local_store(directory), lambda: None
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    httpx.put(f"{endpoint}/bench").raise_for_status()
    store = storage.s3_store(bucket="bench", endpoint=endpoint, access_key="b", secret_key="b")
    return store, server.stop


async def gather_limited(concurrency: int, jobs) -> float:
    """Run the coroutine factories `jobs`, `concurrency` at a time: seconds for all."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job):
        async with gate:
            await job()

    started = time.perf_counter()
    await asyncio.gather(*(one(job) for job in jobs))
    return time.perf_counter() - started


async def run(args) -> None:
    data = PNG_HEAD + os.urandom(args.kib * 1024 - len(PNG_HEAD))
    per_post = 5
    with (
        servers(Path(args.data_dir)) as (admin_url, redis_url),
        tempfile.TemporaryDirectory() as tmp,
    ):
        url, course, _, token = await prepare(admin_url)
        store, stop = open_bench_store(args.store, Path(tmp) / "objects")
        settings = load_settings(
            environ={}, database_url=url, redis_url=redis_url,
            attachment_quota_bytes=max(10**9, 2 * args.files * len(data)),
            attachment_max_bytes=max(len(data), 1_000_000), attachment_max_per_post=per_post,
        )  # fmt: skip
        pool = await create_pool(url, min_size=2, max_size=args.concurrency + 2)
        redis = create_redis(redis_url)
        app = create_app(settings, database=Database(pool=pool), redis=redis, store=store)
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench.local", timeout=120
            ) as client:
                thread = await client.post(
                    f"/api/v1/courses/{course}/threads",
                    json={"title": "Notes", "body": "Files", "kind": "notes"},
                    headers=headers,
                )
                thread_id = thread.json()["thread"]["id"]
                posts = []
                for _ in range(-(-args.files // per_post)):
                    reply = await client.post(
                        f"/api/v1/threads/{thread_id}/posts", json={"body": "x"}, headers=headers
                    )
                    posts.append(reply.json()["id"])
                links: list[str] = []

                def upload(i: int):
                    async def go():
                        response = await client.post(
                            f"/api/v1/posts/{posts[i // per_post]}/attachments",
                            files=[("file", (f"f{i}.png", data, "image/png"))],
                            headers=headers,
                        )
                        assert response.status_code == 201, response.text
                        links.append(response.json()["items"][0]["url"])

                    return go

                def download(link: str):
                    async def go():
                        response = await client.get(link)
                        assert response.status_code == 200 and len(response.content) == len(data)

                    return go

                # Uploads to one post take its thread's lock in turn: spread them over posts.
                up_s = await gather_limited(
                    args.concurrency, [upload(i) for i in range(args.files)]
                )
                down_s = await gather_limited(args.concurrency, [download(u) for u in links])

            keys = [f"baseline/{i}" for i in range(args.files)]

            def put(key: str):
                async def go():
                    await obstore.put_async(store, key, data)

                return go

            def get(key: str):
                async def go():
                    result = await obstore.get_async(store, key)
                    assert len(await result.bytes_async()) == len(data)

                return go

            base_up = await gather_limited(args.concurrency, [put(k) for k in keys])
            base_down = await gather_limited(args.concurrency, [get(k) for k in keys])
        finally:
            await redis.aclose()
            await pool.close()
            stop()
    mib = args.files * len(data) / 2**20
    print(f"\n{args.files} files of {args.kib} KiB, {args.concurrency} at a time, "
          f"store: {args.store}\n")  # fmt: skip
    print("| operation | Agora files/s | Agora MiB/s | obstore alone files/s | MiB/s | "
          "Agora / obstore |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, agora_s, base_s in (("upload", up_s, base_up), ("download", down_s, base_down)):
        print(f"| {name} | {args.files / agora_s:,.0f} | {mib / agora_s:,.1f} | "
              f"{args.files / base_s:,.0f} | {mib / base_s:,.1f} | "
              f"{base_s / agora_s:.2f} |")  # fmt: skip


def main(argv=None) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
