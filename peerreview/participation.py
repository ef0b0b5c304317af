"""Peer review's part of the participation evidence (agora.evidence collects `SOURCE`).

Per learner: submissions made in the window (a team's submission counts for every member),
reviews of peers done in the window (staff reviews are not learners' work), and for each
assignment the grade as released to the learner (the final score, an override included), or
empty when none was released before the window's end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime

import asyncpg

from agora.evidence.sources import Column, Event, Facts, Source, Window

_ASSIGNMENTS = """
    SELECT id, title, points_possible FROM pr_assignments
     WHERE course_id = $1 AND phase <> 'draft' ORDER BY id"""

# A learner's submission: their own ('u:<id>') or their team's ('t:<team>').
_OWNED = """
    WITH owners AS (
        SELECT u AS user_id, 'u:' || u AS owner_key, NULL::bigint AS assignment_id
          FROM unnest($2::bigint[]) u
        UNION ALL
        SELECT tm.user_id, 't:' || tm.team, tm.assignment_id
          FROM pr_team_members tm
         WHERE tm.course_id = $1 AND tm.user_id = ANY($2::bigint[])
    )
    SELECT o.user_id, s.id, s.assignment_id, s.created_at, g.final_score, g.released_at
      FROM owners o
      JOIN pr_submissions s ON s.course_id = $1 AND s.owner_key = o.owner_key
                           AND (o.assignment_id IS NULL OR s.assignment_id = o.assignment_id)
      LEFT JOIN pr_grades g ON g.course_id = s.course_id AND g.submission_id = s.id"""

_REVIEWS = """
    SELECT reviewer_id AS user_id, count(*) AS reviews,
           array_agg(DISTINCT (created_at AT TIME ZONE 'UTC')::date) AS days,
           min(created_at) AS first, max(created_at) AS last
      FROM pr_reviews
     WHERE course_id = $1 AND reviewer_id = ANY($2::bigint[]) AND NOT by_staff
       AND created_at >= $3 AND created_at < $4
     GROUP BY reviewer_id"""

_EVENTS = """
    SELECT at, user_id, kind, object_id FROM (
        SELECT created_at AS at, author_id AS user_id, 'peer.submission' AS kind, id AS object_id
          FROM pr_submissions
         WHERE course_id = $1 AND created_at >= $2 AND created_at < $3
        UNION ALL
        SELECT created_at, reviewer_id, 'peer.review', id
          FROM pr_reviews
         WHERE course_id = $1 AND created_at >= $2 AND created_at < $3 AND NOT by_staff
    ) log
    ORDER BY at, kind, object_id, user_id"""


def _grade_key(assignment_id: int) -> str:
    return f"peer_grade_{assignment_id}"


async def columns(conn: asyncpg.Connection, course_id: int) -> list[Column]:
    # A grade not released is an empty cell, not a 0 (which would read as a failing grade).
    grades = [
        Column(_grade_key(row["id"]), f"grade: {row['title']} (/{row['points_possible']:g})",
               blank=True)
        for row in await conn.fetch(_ASSIGNMENTS, course_id)
    ]  # fmt: skip
    return [
        Column("peer_submissions", "peer submissions"),
        Column("peer_reviews", "peer reviews done"),
    ] + grades


def _note_activity(facts: Facts, at: datetime, days: Iterable[date] | None = None) -> None:
    facts.days.update(days if days is not None else [at.date()])
    facts.first = at if facts.first is None else min(facts.first, at)
    facts.last = at if facts.last is None else max(facts.last, at)


async def learners(
    conn: asyncpg.Connection, course_id: int, user_ids: list[int], window: Window
) -> dict[int, Facts]:
    found: dict[int, Facts] = {}
    for row in await conn.fetch(_OWNED, course_id, user_ids):
        facts = found.setdefault(row["user_id"], Facts())
        if window.start <= row["created_at"] < window.end:
            done = facts.values.get("peer_submissions", 0)
            facts.values["peer_submissions"] = (done if isinstance(done, int) else 0) + 1
            _note_activity(facts, row["created_at"])
        released = row["released_at"]
        if released is not None and released < window.end and row["final_score"] is not None:
            facts.values[_grade_key(row["assignment_id"])] = round(row["final_score"], 2)
    args = (course_id, user_ids, window.start, window.end)
    for row in await conn.fetch(_REVIEWS, *args):
        facts = found.setdefault(row["user_id"], Facts())
        facts.values["peer_reviews"] = row["reviews"]
        _note_activity(facts, row["first"], row["days"])
        _note_activity(facts, row["last"], row["days"])
    return found


async def events(conn: asyncpg.Connection, course_id: int, window: Window) -> AsyncIterator[Event]:
    """Needs a transaction on `conn` (a server-side cursor)."""
    async for row in conn.cursor(_EVENTS, course_id, window.start, window.end, prefetch=2_000):
        yield Event(row["at"], row["user_id"], row["kind"], row["object_id"])


SOURCE = Source(name="peerreview", columns=columns, learners=learners, events=events)
