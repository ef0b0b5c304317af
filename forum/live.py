"""Live forum events: what is published (by the worker, after commit) and what each viewer gets.

Events carry ids, counters and the author as `author_for_storage` allows (never the author of a
post anonymous to all); no bodies, so a client fetches content through the API, which applies
every visibility rule. `for_viewer` cuts each event down for one SSE subscriber.
"""

from __future__ import annotations

from agora import events
from forum.visibility import Viewer, author_for_storage, author_from_storage

EVENT_TYPES = ("post_created", "post_edited", "vote_changed", "thread_state")

EVENT_SQL = """
SELECT t.id AS thread_id, t.board_id, t.pinned, t.locked, t.closed, t.hidden AS thread_hidden,
       t.deleted AS thread_deleted, t.answered, t.duplicate_of, t.reply_count, t.post_first,
       t.score AS thread_score,
       p.id AS post_id, p.parent_id, p.seq, p.author_id, p.anonymity, p.score, p.hidden,
       p.deleted, p.endorsed, p.accepted, u.name AS author_name, m.role AS author_role
  FROM forum_threads t
  LEFT JOIN forum_posts p ON p.course_id = t.course_id AND p.id = $3
  LEFT JOIN users u ON u.id = p.author_id
  LEFT JOIN memberships m ON m.course_id = t.course_id AND m.user_id = p.author_id
 WHERE t.course_id = $1 AND t.id = $2
"""


async def build_event(conn, course_id: int, event_type: str, thread_id: int, post_id) -> dict:
    row = await conn.fetchrow(EVENT_SQL, course_id, thread_id, post_id)
    if row is None:
        return {}
    data = {
        "thread_id": thread_id,
        "board_id": row["board_id"],
        "thread_hidden": row["thread_hidden"] or row["thread_deleted"],
        "post_first": row["post_first"],
        "reply_count": row["reply_count"],
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
            "author": author_for_storage(
                row["author_id"], row["author_name"], row["anonymity"], row["author_role"]
            ),
        }
    return data


async def publish(redis, course_id: int, event_type: str, data: dict) -> str:
    return await events.publish(redis, course_id, event_type, data)


def for_viewer(viewer: Viewer, event: events.Event) -> dict | None:
    """The event as `viewer` may see it, or None if they may not see it at all."""
    data = dict(event.data)
    if not viewer.is_staff:
        if data.get("thread_hidden"):
            return None
        if data.get("hidden") and event.type in ("post_created", "post_edited", "vote_changed"):
            return None
    if "author" in data:
        author = author_from_storage(viewer, data["author"])
        if data.get("post_first") and not viewer.is_staff and not author.is_me:
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
