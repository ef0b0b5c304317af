"""Live forum events: what is published (by the worker, after commit) and what each viewer gets.

Events carry ids, counters and the author as `author_for_storage` allows (never the author of a
post anonymous to all); no bodies, so a client fetches content through the API, which applies
every visibility rule. `for_viewer` cuts each event down for one SSE subscriber.

Edits are coalesced per post: a burst of edits would otherwise send every reader of the course an
event (and their page a refetch) per keystroke-sized save. At most one post_edited event per post
goes out per EDIT_WINDOW_SECONDS, always for the state as committed when it is sent, and a version
(the post's edited_at) already sent is never sent again; an edit inside the window is deferred to
its end (NotYet), when one job sends the latest version and the others find it sent.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from redis.asyncio import Redis

from agora import events
from agora.outbox import enqueue
from forum import rules
from forum.presenters import author_for_storage, author_from_storage
from forum.queries import live as live_sql
from forum.rules import Viewer

EVENT_TYPES = ("post_created", "post_edited", "vote_changed", "thread_state")
EDIT_WINDOW_SECONDS = 2
SENT_VERSION_SECONDS = 600  # long past any window: a late duplicate job still finds it sent


class NotYet(Exception):
    """An edit event inside its post's window: publish it again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"post_edited coalesced; again in {retry_after:.1f} s")
        self.retry_after = retry_after


async def emit(
    conn: asyncpg.Connection, course_id: int, event: str, thread_id: int, post_id: int | None = None
) -> None:
    """A live event, published after commit by the worker (see forum.jobs.forum_publish)."""
    await enqueue(conn, "forum_publish", course_id, event, thread_id, post_id, course_id=course_id)


async def build_event(
    conn: asyncpg.Connection, course_id: int, event_type: str, thread_id: int, post_id: int | None
) -> dict[str, Any]:
    """The event's data from the state as committed; {} if the thread is gone."""
    row = await live_sql.select_event_state(conn, course_id, thread_id, post_id)
    if row is None:
        return {}
    data: dict[str, Any] = {
        "thread_id": thread_id,
        "board_id": row["board_id"],
        "thread_hidden": row["thread_hidden"] or row["thread_deleted"],
        "post_first": row["post_first"],
        "reply_count": row["reply_count"],
        "private_to": row["private_to"],  # rules.can_see_live_event: staff and this learner
    }
    if event_type == "thread_state":
        data |= {k: row[k] for k in ("pinned", "locked", "closed", "answered", "duplicate_of")}
    if row["post_id"] is not None:
        data |= {
            "post_id": row["post_id"],
            "parent_id": row["parent_id"],
            "seq": row["seq"],
            "score": row["score"],
            "hidden": row["hidden"] or row["deleted"],
            "endorsed": row["endorsed"],
            "accepted": row["accepted"],
            "edited_at": row["edited_at"].isoformat() if row["edited_at"] else None,
            "author": author_for_storage(
                row["author_id"], row["author_name"], row["anonymity"], row["author_role"]
            ),
        }
    return data


async def publish(redis: Redis, course_id: int, event_type: str, data: dict[str, Any]) -> str:
    """Publish the event; "" when it is an edit already sent. Raises NotYet for an edit inside
    its post's window."""
    if event_type == "post_edited" and "post_id" in data:
        if not await _edit_due(redis, course_id, data["post_id"], str(data.get("edited_at"))):
            return ""
    return await events.publish(redis, course_id, event_type, data)


def _edit_key(course_id: int, post_id: int, what: str) -> str:
    return f"{events.channel(course_id)}:edit:{post_id}:{what}"


async def _edit_due(redis: Redis, course_id: int, post_id: int, version: str) -> bool:
    """Whether to send this version of the post now (False: it was sent already)."""
    sent = _edit_key(course_id, post_id, "sent")
    if await redis.get(sent) == version.encode():
        return False
    window = _edit_key(course_id, post_id, "window")
    if not await redis.set(window, 1, nx=True, ex=EDIT_WINDOW_SECONDS):
        left = await redis.pttl(window)
        raise NotYet(max(left, 100) / 1000)
    await redis.set(sent, version, ex=SENT_VERSION_SECONDS)
    return True


def for_viewer(viewer: Viewer, event: events.Event) -> dict[str, Any] | None:
    """The event as `viewer` may see it, or None if they may not see it at all."""
    data = dict(event.data)
    if not rules.can_see_live_event(viewer, event.type, data):
        return None
    if "author" in data:
        author = author_from_storage(viewer, data["author"])
        if not rules.can_see_live_reply(
            viewer, post_first=bool(data.get("post_first")), own=author.is_me
        ):
            # Replies stay out of sight until the viewer has posted: ids only.
            return {k: data[k] for k in ("thread_id", "post_id", "reply_count") if k in data}
        data["author"] = {
            "id": author.id,
            "name": author.name,
            "anonymous": author.anonymous,
            "is_me": author.is_me,
            "role": author.role,
        }
    return data
