"""Generate one MOOC-scale course with COPY: learners, boards, threads, a post tree, votes, reads.

Loads into a freshly migrated database: secondary indexes are dropped during the load and rebuilt
after it (one sort each instead of a million index insertions), identity columns accept the
generated ids meanwhile, then everything is analysed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import numpy as np

COMMON = (
    "climate carbon ocean heat energy warming temperature model emission forcing greenhouse "
    "atmosphere radiation feedback ice sea level cloud aerosol methane water vapour albedo "
    "solar flux budget cycle season data trend record anomaly uncertainty scenario policy "
    "question answer lecture week exam notes slide quiz reading figure equation why how what "
    "the of and a to in is it that for on with as this was are be by not from or have"
).split()
RARE = [f"{a}{b}" for a in ("thermo", "cryo", "hydro", "geo", "bio", "strato", "tropo", "paleo")
        for b in ("cline", "sphere", "genic", "metric", "logy", "dynamic", "chem", "flux",
              "graph", "stat", "zone", "front", "layer", "proxy", "core", "plume",
              "band", "drift", "vortex", "ridge", "basin", "shelf", "sink", "pump",
              "jet")]  # fmt: skip
# French words, accents included, in every post (searched for typed without accents): a few
# common ones (each in about 1 post in 10) and rare ones (each in about 1 in 50).
FRENCH_COMMON = (
    "réchauffement été énergie modèle données température océan forêt sécheresse écart "
    "matière fenêtre côte pôle lumière élève réponse théorie équation cœur"
).split()
FRENCH_RARE = [f"{a}{b}" for a in ("éco", "géo", "paléo", "hydro", "cryo")
               for b in ("système", "sphère", "région", "métrie", "chimie", "graphie", "île",
                     "thèque", "dépôt", "vallée")]  # fmt: skip
STAFF = (("bench-instructor", "instructor"), ("bench-ta-1", "ta"), ("bench-ta-2", "ta"))
CHUNK_THREADS = 5_000
MAX_DEPTH = 8


@dataclass
class Scale:
    learners: int
    threads: int
    posts: int
    boards: int = 12
    votes: int = 300_000
    reads: int = 300_000


@dataclass
class Generated:
    course_id: int
    platform_id: int
    learner_ids: list[int]
    staff_ids: dict[str, int]
    board_ids: list[int]
    big_threads: list[int]  # threads with at least 50 posts
    seconds: float


def _words(rng, count: int, per: int) -> list[str]:
    common = np.array(COMMON)[rng.integers(0, len(COMMON), (count, per))]
    rare = np.array(RARE)[rng.integers(0, len(RARE), (count, 3))]
    french = np.array(FRENCH_COMMON)[rng.integers(0, len(FRENCH_COMMON), (count, 2))]
    french_rare = np.array(FRENCH_RARE)[rng.integers(0, len(FRENCH_RARE), (count, 1))]
    rows = np.concatenate([common, rare, french, french_rare], axis=1)
    return [" ".join(row) for row in rows]


async def _drop_secondary_indexes(conn) -> list[str]:
    rows = await conn.fetch(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename LIKE 'forum_%'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')  # bench-only DDL, names from catalog
    return [row["indexdef"] for row in rows]


IDENTITY_TABLES = ("forum_boards", "forum_threads", "forum_posts")


async def generate(conn: asyncpg.Connection, scale: Scale, *, seed: int = 42, log=print):
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    platform_id = await conn.fetchval(
        """INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url)
           VALUES ('https://bench-lms.test', 'bench', 'https://bench-lms.test/a',
                   'https://bench-lms.test/t', 'https://bench-lms.test/j') RETURNING id"""
    )
    await conn.execute(
        "INSERT INTO deployments (platform_id, deployment_id) VALUES ($1, 'd1')", platform_id
    )
    course_id = await conn.fetchval(
        """INSERT INTO courses (platform_id, deployment_id, context_id, title, settings)
           VALUES ($1, 'd1', 'bench-mooc', 'Bench MOOC', $2) RETURNING id""",
        platform_id,
        {
            "forum": {
                "post_interval_seconds": 1,
                "threads_per_day": 1_000_000,
                "anonymity": ["none", "peers", "all"],
            }
        },  # fmt: skip
    )

    # People.
    await conn.copy_records_to_table(
        "users",
        records=[(platform_id, sub, sub.title(), f"{sub}@bench.test") for sub, _ in STAFF]
        + [
            (platform_id, f"learner-{i}", f"Learner {i}", f"learner-{i}@bench.test")
            for i in range(scale.learners)
        ],
        columns=["platform_id", "sub", "name", "email"],
    )
    users = await conn.fetch(
        "SELECT id, sub FROM users WHERE platform_id = $1 ORDER BY id", platform_id
    )
    roles = dict(STAFF)
    staff_ids = {r["sub"]: r["id"] for r in users if r["sub"] in roles}
    learner_ids = [r["id"] for r in users if r["sub"] not in roles]
    await conn.copy_records_to_table(
        "memberships",
        records=[(course_id, r["id"], roles.get(r["sub"], "learner")) for r in users],
        columns=["course_id", "user_id", "role"],
    )
    log(f"  {len(users):,} users and memberships")

    # Load with explicit ids, without secondary indexes.
    index_defs = await _drop_secondary_indexes(conn)
    for table in IDENTITY_TABLES:
        await conn.execute(f"ALTER TABLE {table} ALTER COLUMN id SET GENERATED BY DEFAULT")

    board_ids = list(range(1, scale.boards + 1))
    await conn.copy_records_to_table(
        "forum_boards",
        records=[
            (course_id, b, "General" if b == 1 else f"Week {b - 1}", b, b == 1) for b in board_ids
        ],
        columns=["course_id", "id", "name", "position", "is_default"],
    )

    # Replies per thread: heavy-tailed, like real forums (most threads short, a few huge).
    replies = scale.posts - scale.threads
    weights = rng.pareto(1.1, scale.threads) + 0.05
    counts = np.minimum(np.floor(weights / weights.sum() * replies), 5_000).astype(np.int64)
    short = replies - int(counts.sum())
    counts += np.bincount(rng.integers(0, scale.threads, short), minlength=scale.threads)
    learners = np.array(learner_ids)
    post_id = 0
    big_threads: list[int] = []
    span = timedelta(days=120).total_seconds()
    for start in range(0, scale.threads, CHUNK_THREADS):
        stop = min(start + CHUNK_THREADS, scale.threads)
        thread_rows, post_rows = [], []
        n_posts = int(counts[start:stop].sum()) + (stop - start)
        bodies = _words(rng, n_posts, 25)
        authors = learners[rng.integers(0, len(learners), n_posts)]
        anonymity = rng.choice(["none", "peers", "all"], n_posts, p=[0.95, 0.04, 0.01])
        parent_pick = rng.random(n_posts)
        k = 0
        for t in range(start, stop):
            thread_id = t + 1
            n = int(counts[t]) + 1
            created = now - timedelta(seconds=float(rng.random() * span))
            title = " ".join(rng.choice(COMMON[:40], 5)) + " " + str(rng.choice(RARE))
            kind = ("discussion", "question", "notes")[t % 3 if t % 10 else 1]
            paths, depths, children = [], [], [0] * n
            ids = []
            last = created
            for s in range(n):
                post_id += 1
                ids.append(post_id)
                if s == 0:
                    parent, path, depth = None, f"{1:08x}", 0
                else:
                    p = 0 if parent_pick[k] < 0.5 else int(parent_pick[k] * 1e6) % s
                    if depths[p] >= MAX_DEPTH:
                        p = 0
                    parent, path, depth = p, paths[p] + f"{s + 1:08x}", depths[p] + 1
                    children[p] += 1
                paths.append(path)
                depths.append(depth)
                last = last + timedelta(seconds=float(30 + (parent_pick[k] * 3600)))
                post_rows.append([
                    course_id, post_id, thread_id, None if parent is None else ids[parent],
                    s + 1, path, depth, int(authors[k]), str(anonymity[k]),
                    title if s == 0 else None, bodies[k], f"<p>{bodies[k]}</p>", last,
                ])  # fmt: skip
                k += 1
            for s, c in enumerate(children):
                post_rows[len(post_rows) - n + s].append(c)
            if n >= 50:
                big_threads.append(thread_id)
            root = post_rows[len(post_rows) - n]
            thread_rows.append((
                course_id, thread_id, board_ids[t % len(board_ids)], root[7], kind, root[8],
                title, n - 1, n, n, last, root[12],
            ))  # fmt: skip
        await conn.copy_records_to_table(
            "forum_threads",
            records=thread_rows,
            columns=["course_id", "id", "board_id", "author_id", "kind", "anonymity", "title",
                     "reply_count", "post_seq", "last_seq", "last_activity_at", "created_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "forum_posts",
            records=[tuple(r) for r in post_rows],
            columns=["course_id", "id", "thread_id", "parent_id", "seq", "path", "depth",
                     "author_id", "anonymity", "title", "body", "body_html", "created_at",
                     "reply_count"],
        )  # fmt: skip
        if (start // CHUNK_THREADS) % 5 == 0:
            log(f"  threads {stop:,}/{scale.threads:,}, posts {post_id:,}")

    # Votes and read positions (unique pairs), then derived counters.
    pairs = np.unique(
        np.stack([rng.integers(1, post_id + 1, scale.votes), rng.integers(0, len(learners),
                 scale.votes)], axis=1), axis=0)  # fmt: skip
    await conn.copy_records_to_table(
        "forum_votes",
        records=[(course_id, int(p), int(learners[u]), 1) for p, u in pairs],
        columns=["course_id", "post_id", "user_id", "value"],
    )
    reads = np.unique(
        np.stack([rng.integers(0, len(learners), scale.reads), rng.integers(1, scale.threads + 1,
                 scale.reads)], axis=1), axis=0)  # fmt: skip
    await conn.copy_records_to_table(
        "forum_reads",
        records=[(course_id, int(learners[u]), int(t), 1) for u, t in reads],
        columns=["course_id", "user_id", "thread_id", "read_seq"],
    )
    await conn.execute(
        """UPDATE forum_posts p SET score = v.n
             FROM (SELECT post_id, count(*) AS n FROM forum_votes GROUP BY post_id) v
            WHERE p.course_id = $1 AND p.id = v.post_id""",
        course_id,
    )
    await conn.execute(
        """UPDATE forum_threads t SET score = p.score
             FROM forum_posts p
            WHERE p.course_id = t.course_id AND p.thread_id = t.id AND p.parent_id IS NULL
              AND p.score <> 0"""
    )
    await conn.execute(
        """INSERT INTO forum_follows (course_id, user_id, target_kind, target_id)
           SELECT course_id, author_id, 'thread', id FROM forum_threads"""
    )
    log(f"  {post_id:,} posts, {len(pairs):,} votes, {len(reads):,} read positions loaded")

    for table in IDENTITY_TABLES:
        await conn.execute(f"ALTER TABLE {table} ALTER COLUMN id SET GENERATED ALWAYS")
        # Table names come from IDENTITY_TABLES above, never from input.
        next_id = await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # noqa: S608
        await conn.execute(f"ALTER TABLE {table} ALTER COLUMN id RESTART WITH {int(next_id)}")
    await conn.execute("SET maintenance_work_mem = '1GB'")
    for definition in index_defs:
        await conn.execute(definition)
    log(f"  {len(index_defs)} indexes rebuilt")
    await conn.execute("VACUUM ANALYZE")  # visibility map too: index-only scans
    return Generated(
        course_id=course_id,
        platform_id=platform_id,
        learner_ids=learner_ids,
        staff_ids=staff_ids,
        board_ids=board_ids,
        big_threads=big_threads,
        seconds=time.perf_counter() - started,
    )
