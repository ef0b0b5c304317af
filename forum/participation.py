"""The forum's part of the participation evidence (agora.evidence collects `SOURCE`).

Posts anonymous to all are attributed to nobody, here as in the participation export and the
staff statistics: that promise to the learner holds for funders too. Deleted posts do not count;
hidden ones do (the learner did write them, and staff decided about their content, not their
existence). Votes received exclude the author's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from agora.evidence.sources import Column, Event, Facts, Source, Window

COLUMNS = [  # counts: 0 for a learner who did none of it
    Column("forum_threads", "forum threads"),
    Column("forum_replies", "forum replies"),
    Column("forum_notes_shared", "notes shared"),
    Column("forum_answers_accepted", "answers accepted"),
    Column("forum_answers_endorsed", "answers endorsed"),
    Column("forum_votes_received", "votes received"),
    Column("forum_votes_cast", "votes cast"),
]

_POSTS = """
    SELECT p.author_id AS user_id,
           count(*) FILTER (WHERE p.parent_id IS NULL) AS forum_threads,
           count(*) FILTER (WHERE p.parent_id IS NOT NULL) AS forum_replies,
           count(*) FILTER (WHERE p.parent_id IS NULL AND t.kind = 'notes') AS forum_notes_shared,
           count(*) FILTER (WHERE p.accepted) AS forum_answers_accepted,
           count(*) FILTER (WHERE p.endorsed) AS forum_answers_endorsed,
           array_agg(DISTINCT (p.created_at AT TIME ZONE 'UTC')::date) AS days,
           min(p.created_at) AS first, max(p.created_at) AS last
      FROM forum_posts p
      JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
     WHERE p.course_id = $1 AND p.author_id = ANY($2::bigint[])
       AND p.created_at >= $3 AND p.created_at < $4
       AND NOT p.deleted AND p.anonymity <> 'all'
     GROUP BY p.author_id"""

_VOTES_RECEIVED = """
    SELECT p.author_id AS user_id, count(*) AS forum_votes_received
      FROM forum_posts p
      JOIN forum_votes v ON v.course_id = p.course_id AND v.post_id = p.id
     WHERE p.course_id = $1 AND p.author_id = ANY($2::bigint[])
       AND NOT p.deleted AND p.anonymity <> 'all' AND v.user_id <> p.author_id
       AND v.created_at >= $3 AND v.created_at < $4
     GROUP BY p.author_id"""

_VOTES_CAST = """
    SELECT v.user_id, count(*) AS forum_votes_cast,
           array_agg(DISTINCT (v.created_at AT TIME ZONE 'UTC')::date) AS days,
           min(v.created_at) AS first, max(v.created_at) AS last
      FROM forum_votes v
     WHERE v.course_id = $1 AND v.user_id = ANY($2::bigint[])
       AND v.created_at >= $3 AND v.created_at < $4
     GROUP BY v.user_id"""

# The log: one line per post and per vote, in time order. Read through a cursor (one statement,
# streamed), so a window of millions of lines costs one sort, not one per page.
_EVENTS = """
    SELECT at, user_id, kind, object_id FROM (
        SELECT p.created_at AS at, p.author_id AS user_id,
               CASE WHEN p.parent_id IS NOT NULL THEN 'forum.reply'
                    WHEN t.kind = 'notes' THEN 'forum.notes'
                    ELSE 'forum.thread' END AS kind,
               p.id AS object_id
          FROM forum_posts p
          JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
         WHERE p.course_id = $1 AND p.created_at >= $2 AND p.created_at < $3
           AND NOT p.deleted AND p.anonymity <> 'all'
        UNION ALL
        SELECT v.created_at, v.user_id, 'forum.vote', v.post_id
          FROM forum_votes v
         WHERE v.course_id = $1 AND v.created_at >= $2 AND v.created_at < $3
    ) log
    ORDER BY at, kind, object_id, user_id"""


def _merge(facts: Facts, row: asyncpg.Record) -> None:
    facts.days.update(row["days"])
    facts.first = row["first"] if facts.first is None else min(facts.first, row["first"])
    facts.last = row["last"] if facts.last is None else max(facts.last, row["last"])


async def columns(conn: asyncpg.Connection, course_id: int) -> list[Column]:
    return COLUMNS


async def learners(
    conn: asyncpg.Connection, course_id: int, user_ids: list[int], window: Window
) -> dict[int, Facts]:
    found: dict[int, Facts] = {}
    args = (course_id, user_ids, window.start, window.end)
    for row in await conn.fetch(_POSTS, *args):
        facts = found.setdefault(row["user_id"], Facts())
        facts.values.update({c.key: row[c.key] for c in COLUMNS[:5]})
        _merge(facts, row)
    for row in await conn.fetch(_VOTES_RECEIVED, *args):
        found.setdefault(row["user_id"], Facts()).values["forum_votes_received"] = row[1]
    for row in await conn.fetch(_VOTES_CAST, *args):
        facts = found.setdefault(row["user_id"], Facts())
        facts.values["forum_votes_cast"] = row["forum_votes_cast"]
        _merge(facts, row)
    return found


async def events(conn: asyncpg.Connection, course_id: int, window: Window) -> AsyncIterator[Event]:
    """Needs a transaction on `conn` (a server-side cursor)."""
    async for row in conn.cursor(_EVENTS, course_id, window.start, window.end, prefetch=2_000):
        yield Event(row["at"], row["user_id"], row["kind"], row["object_id"])


SOURCE = Source(name="forum", columns=columns, learners=learners, events=events)
