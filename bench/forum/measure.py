"""Load scenarios: the same workload through HTTP (the app under uvicorn) and straight through
asyncpg (the service's SQL on a pool, no HTTP), with requests/s and latency percentiles."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import numpy as np

from agora.db import Database, create_pool
from agora.errors import DomainError
from agora.sessions import select_principal
from forum.schemas import PostCreate
from forum.service import posts as posts_service
from forum.service import search as search_service
from forum.service import threads as threads_service
from forum.service import votes as votes_service
from forum.service.search import fold

from .generate import COMMON, FRENCH_COMMON, FRENCH_RARE, RARE

# Search scenarios (issue 14.4): common and rare words, English and French, the French typed
# without accents (as learners do) against posts that have them.
SEARCHES = {
    "search: rare + common word": lambda rng: f"{rng.choice(RARE)} {rng.choice(COMMON[:30])}",
    "search: common word": lambda rng: rng.choice(COMMON[:30]),
    "search: rare word": lambda rng: rng.choice(RARE),
    "search: French common, no accents": lambda rng: _unaccented(rng.choice(FRENCH_COMMON)),
    "search: French rare, no accents": lambda rng: _unaccented(rng.choice(FRENCH_RARE)),
}


def _unaccented(word: str) -> str:
    return "".join(map(fold, word))


@dataclass
class Result:
    latencies: list[float]
    errors: int
    seconds: float

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(np.array(self.latencies or [0.0]) * 1000, q))

    def __add__(self, other: Result) -> Result:
        return Result(
            self.latencies + other.latencies, self.errors + other.errors,
            self.seconds + other.seconds,
        )  # fmt: skip


async def run_load(
    call: Callable[[int], Awaitable[bool]], *, concurrency: int, seconds: float, warmup: float
) -> Result:
    latencies: list[float] = []
    errors = 0
    begin = time.perf_counter()
    measure_from = begin + warmup
    end = measure_from + seconds

    async def worker(index: int) -> None:
        nonlocal errors
        i = index
        while (start := time.perf_counter()) < end:
            ok = await call(i)
            done = time.perf_counter()
            i += concurrency
            if start >= measure_from:
                latencies.append(done - start)
                errors += not ok

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return Result(latencies, errors, seconds)


@dataclass
class Workload:
    course_id: int
    tokens: list[str]  # learner sessions
    big_threads: list[int]
    post_threads: list[int]
    vote_posts: list[tuple[int, int]]  # (thread id, post id): replies in the big threads
    posts_made: itertools.count = dataclasses.field(default_factory=itertools.count)

    def poster(self) -> str:
        # Every post by the next learner in turn, across HTTP and baseline runs, so the course's
        # one-second gap between a learner's posts is respected (and still checked in Redis).
        return self.tokens[next(self.posts_made) % len(self.tokens)]

    def token(self, i: int) -> str:
        return self.tokens[i % len(self.tokens)]

    def thread(self, i: int) -> int:
        return self.big_threads[(i * 7919) % len(self.big_threads)]

    def post_thread(self, i: int) -> int:
        return self.post_threads[(i * 104729) % len(self.post_threads)]

    def vote_post(self, i: int) -> tuple[int, int]:
        return self.vote_posts[(i * 7919) % len(self.vote_posts)]

    def vote_value(self, i: int) -> int:
        # Up, then (the next time the same learner meets the same post) back: both paths.
        return (i // len(self.tokens)) % 2 ^ 1

    def query(self, i: int, scenario: str = "search: rare + common word") -> str:
        return SEARCHES[scenario](random.Random(i))


def http_calls(client: httpx.AsyncClient, w: Workload) -> dict[str, Callable[[int], Awaitable]]:
    def auth(i):
        return {"Authorization": f"Bearer {w.token(i)}"}

    async def thread_page(i):
        r = await client.get(f"/api/v1/threads/{w.thread(i)}?limit=50", headers=auth(i))
        return r.status_code == 200

    async def thread_list(i):
        r = await client.get(f"/api/v1/courses/{w.course_id}/threads?limit=20", headers=auth(i))
        return r.status_code == 200

    async def post_create(i):
        r = await client.post(
            f"/api/v1/threads/{w.post_thread(i)}/posts",
            json={"body": f"bench reply {i} about *{w.query(i)}*"},
            headers={"Authorization": f"Bearer {w.poster()}"},
        )
        return r.status_code == 201

    def search(scenario: str):
        async def call(i):
            r = await client.get(
                f"/api/v1/courses/{w.course_id}/search",
                params={"q": w.query(i, scenario)},
                headers=auth(i),
            )
            return r.status_code == 200

        return call

    ui = f"/ui/courses/{w.course_id}/forum"
    htmx = {"HX-Request": "true"}

    async def html_thread_page(i):
        r = await client.get(f"{ui}/threads/{w.thread(i)}", headers=auth(i))
        return r.status_code == 200

    async def html_thread_list(i):
        r = await client.get(f"{ui}/threads", headers=auth(i))
        return r.status_code == 200

    async def page_reply(i):
        r = await client.post(
            f"{ui}/threads/{w.post_thread(i)}/posts",
            data={"body": f"bench reply {i} about *{w.query(i)}*"},
            headers={"Authorization": f"Bearer {w.poster()}"} | htmx,
        )
        return r.status_code == 200

    async def page_vote(i):
        thread_id, post_id = w.vote_post(i)
        r = await client.post(
            f"{ui}/threads/{thread_id}/posts/{post_id}/vote",
            data={"value": str(w.vote_value(i))},
            headers=auth(i) | htmx,
        )
        return r.status_code == 200

    return {
        "thread page (50 posts)": thread_page,
        "HTML thread page (50 posts)": html_thread_page,
        "thread list (20)": thread_list,
        "HTML thread list (20)": html_thread_list,
        "post create": post_create,
        "reply from the page": page_reply,
        "vote from the page": page_vote,
    } | {scenario: search(scenario) for scenario in SEARCHES}


# What each page scenario is measured beside: the JSON request of the same data in the same run
# (the vote's baseline is its service call straight through asyncpg).
HTML_BASELINES = {
    "HTML thread page (50 posts)": "thread page (50 posts)",
    "HTML thread list (20)": "thread list (20)",
    "reply from the page": "post create",
}


def direct_calls(pool, redis, w: Workload) -> dict[str, Callable[[int], Awaitable]]:
    """The same work without HTTP: session lookup + the service call on a pooled connection."""

    async def thread_page(i):
        async with pool.acquire() as conn:
            principal = await select_principal(conn, w.token(i))
            await threads_service.read_thread(conn, principal, w.thread(i), limit=50)
        return True

    async def thread_list(i):
        async with pool.acquire() as conn:
            principal = await select_principal(conn, w.token(i))
            await threads_service.list_threads(conn, principal, w.course_id, limit=20)
        return True

    async def post_create(i):
        try:
            async with pool.acquire() as conn, conn.transaction():
                principal = await select_principal(conn, w.poster())
                body = PostCreate(body=f"bench reply {i} about *{w.query(i)}*")
                await posts_service.create_post(conn, redis, principal, w.post_thread(i), body)
        except DomainError:
            return False
        return True

    def search(scenario: str):
        async def call(i):
            async with pool.acquire() as conn:
                principal = await select_principal(conn, w.token(i))
                # No Redis: the benchmark measures the query, not the per-user rate limit.
                await search_service.search_posts(
                    conn, None, principal, w.course_id, w.query(i, scenario), None, None
                )
            return True

        return call

    async def vote(i):
        _, post_id = w.vote_post(i)
        try:
            async with pool.acquire() as conn, conn.transaction():
                principal = await select_principal(conn, w.token(i))
                await votes_service.vote(conn, principal, post_id, w.vote_value(i))
        except DomainError:
            return False
        return True

    return {
        "thread page (50 posts)": thread_page,
        "thread list (20)": thread_list,
        "post create": post_create,
        "vote from the page": vote,
    } | {scenario: search(scenario) for scenario in SEARCHES}


def is_transaction_control(query: str) -> bool:
    return query.lstrip().split(" ", 1)[0].upper() in {
        "BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK", "BEGIN;", "COMMIT;",
    }  # fmt: skip


async def count_statements(database_url: str, redis, token: str, requests: dict) -> dict:
    """SQL statements one request issues (session lookup included; transaction control and the
    pool's reset on release left out), counted on the connection by asyncpg's query logger.
    `requests`: label → (method, url, form data or None, headers)."""
    from agora.app import create_app
    from agora.settings import load_settings

    log: list[str] = []

    async def init(conn):
        from agora.db import init_connection

        await init_connection(conn)
        conn.add_query_logger(lambda record: log.append(record.query))

    def handler_queries() -> list[str]:
        # asyncpg's pool resets each connection on release (RESET ALL; UNLISTEN ...): pool
        # housekeeping, not a query of the handler.
        return [
            q for q in log if "pg_advisory_unlock_all" not in q and not is_transaction_control(q)
        ]

    import asyncpg

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1, init=init)
    app = create_app(
        load_settings(environ={}, database_url=database_url, redis_url="redis://unused"),
        database=Database(pool=pool),
        redis=redis,
    )
    counts = {}
    transport = httpx.ASGITransport(app=app)
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        # The first page a process serves reads the platforms for its framing policy (cached
        # for minutes after): not a per-request cost.
        method, url, data, headers = next(iter(requests.values()))
        await client.request(method, url, data=data, headers=auth | headers)
        for label, (method, url, data, headers) in requests.items():
            await asyncio.sleep(0.05)
            log.clear()
            response = await client.request(method, url, data=data, headers=auth | headers)
            await asyncio.sleep(0.05)  # loggers run just after each query
            ok = response.status_code < 400
            counts[label] = len(handler_queries()) if ok else f"error {response.status_code}"
    await pool.close()
    return counts


async def count_thread_page_queries(database_url: str, redis, token: str, threads: dict) -> dict:
    """Queries one thread-page request issues (session lookup included), counted on the
    connection by asyncpg's query logger, for threads of different sizes."""
    from agora.app import create_app
    from agora.settings import load_settings

    log: list[str] = []

    async def init(conn):
        from agora.db import init_connection

        await init_connection(conn)
        conn.add_query_logger(lambda record: log.append(record.query))

    def handler_queries() -> list[str]:
        # asyncpg's pool resets each connection on release (RESET ALL; UNLISTEN ...): pool
        # housekeeping, not a query of the handler.
        return [q for q in log if "pg_advisory_unlock_all" not in q]

    import asyncpg

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1, init=init)
    app = create_app(
        load_settings(environ={}, database_url=database_url, redis_url="redis://unused"),
        database=Database(pool=pool),
        redis=redis,
    )
    counts = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for label, (thread_id, limit) in threads.items():
            log.clear()
            response = await client.get(
                f"/api/v1/threads/{thread_id}?limit={limit}",
                headers={"Authorization": f"Bearer {token}"},
            )
            await asyncio.sleep(0.05)  # loggers run just after each query
            assert response.status_code == 200, response.text
            posts = len(response.json()["posts"])
            counts[label] = (posts, len(handler_queries()))
    await pool.close()
    return counts


async def baseline_pool(database_url: str, size: int):
    return await create_pool(database_url, min_size=size, max_size=size)
