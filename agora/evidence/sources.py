"""What each context tells the participation evidence (forum/participation.py,
peerreview/participation.py export a `SOURCE`). The shell merges them without importing either.

Every method takes the course and the window [start, end) and answers for a batch of learners at
once (set-based: one or two statements per batch, whatever the batch size).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass
class Facts:
    """One learner's activity in one context: column values, the days with activity, and the
    first and last moment of activity (for days active and first/last activity overall)."""

    values: dict[str, object] = field(default_factory=dict)
    days: set[date] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None


@dataclass(frozen=True)
class Column:
    """A context's column of the learners file: its key in Facts.values, its header, and whether
    a learner it has no value for gets an empty cell (`blank`: a grade not released) rather than
    0 (a count of nothing)."""

    key: str
    header: str
    blank: bool = False


@dataclass(frozen=True)
class Event:
    """A line of the raw log: who did what, when, to which object (ids only, no text)."""

    at: datetime
    user_id: int
    kind: str
    object_id: int


Columns = Callable[[asyncpg.Connection, int], Awaitable[list[Column]]]
Learners = Callable[[asyncpg.Connection, int, list[int], Window], Awaitable[dict[int, Facts]]]
# The context's raw log in (at, kind, object_id, user_id) order, streamed from a cursor (the
# caller holds a transaction on the connection).
Events = Callable[[asyncpg.Connection, int, Window], AsyncIterator[Event]]


@dataclass(frozen=True)
class Source:
    """`columns` declares the context's columns for this course, `learners` fills them for a
    batch of user ids, `events` streams the context's raw log."""

    name: str
    columns: Columns
    learners: Learners
    events: Events
