"""Rows to response Structs, through the one anonymity rule and the visibility rules.

Deleted and hidden posts stay in the tree as placeholders (so replies keep their place): their
body is blanked for learners; staff see everything, authors see their own hidden post.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

import msgspec

from agora.errors import BadRequest
from forum.schemas import PostRead, ThreadSummary
from forum.visibility import Viewer, author_view


def encode_cursor(*values) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: tuple) -> list | None:
    """The cursor's values converted to `types`, or None for the first page; 400 if malformed."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        return [_convert(value, type_) for value, type_ in zip(values, types, strict=True)]
    except (ValueError, TypeError, binascii.Error, msgspec.DecodeError):
        raise BadRequest("invalid cursor; pass back next_cursor exactly as received") from None


def _convert(value, type_):
    if type_ is datetime:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if type_ is float:
        return float(value)
    if type_ is bool and not isinstance(value, bool):
        raise ValueError
    if type_ is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError
    if type_ is str and not isinstance(value, str):
        raise ValueError
    return value


def post_view(viewer: Viewer, row, *, max_depth: int, read_seq: int) -> PostRead:
    staff = viewer.is_staff
    mine = row["author_id"] == viewer.user_id
    blank = (row["deleted"] and not staff) or (row["hidden"] and not (staff or mine))
    return PostRead(
        id=row["id"],
        thread_id=row["thread_id"],
        parent_id=row["parent_id"],
        seq=row["seq"],
        depth=row["depth"],
        display_depth=min(row["depth"], max_depth),
        author=author_view(
            viewer, row["author_id"], row["author_name"], row["anonymity"], row["author_role"]
        ),
        body_html="" if blank else row["body_html"],
        body=row["body"] if (mine or staff) and not blank else None,
        score=row["score"],
        reply_count=row["reply_count"],
        endorsed=row["endorsed"],
        accepted=row["accepted"],
        deleted=row["deleted"],
        hidden=row["hidden"],
        hidden_reason=row["hidden_reason"] if (staff or mine) else "",
        voted=row["voted"],
        unread=(row["seq"] > read_seq and not mine and not row["deleted"] and not row["hidden"]),
        edited_at=row["edited_at"],
        created_at=row["created_at"],
    )


def thread_view(viewer: Viewer, row, *, unread_count: int, following: bool) -> ThreadSummary:
    return ThreadSummary(
        id=row["id"],
        board_id=row["board_id"],
        kind=row["kind"],
        title=row["title"],
        author=author_view(
            viewer, row["author_id"], row["author_name"], row["anonymity"], row["author_role"]
        ),
        pinned=row["pinned"],
        locked=row["locked"],
        closed=row["closed"],
        hidden=row["hidden"],
        deleted=row["deleted"],
        answered=row["answered"],
        post_first=row["post_first"],
        duplicate_of=row["duplicate_of"],
        reply_count=row["reply_count"],
        score=row["score"],
        unread_count=unread_count,
        following=following,
        last_activity_at=row["last_activity_at"],
        created_at=row["created_at"],
        open_flags=row["open_flags"] if viewer.is_staff else None,
    )
