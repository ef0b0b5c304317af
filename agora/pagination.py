"""Keyset (cursor) pagination, the one implementation both contexts use. Never OFFSET.

A cursor is the sort key of the last row of a page, as base64url JSON. The server reads it back
with the key's types, so a forged or stale cursor is a 400 that says so, never a driver error.

    rows = await queries.select_threads(conn, course_id, after=decode_cursor(cursor, (int,)),
                                        limit=limit + 1)
    items, next_cursor = next_page(rows, limit, lambda row: (row["id"],))
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from agora.errors import BadRequest
from agora.schemas import MAX_ID

MAX_CURSOR_LENGTH = 500
R = TypeVar("R")


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: tuple[type, ...]) -> list[Any] | None:
    """The cursor's values converted to `types`, or None for the first page; 400 if malformed."""
    if not cursor:
        return None
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        return [_convert(value, type_) for value, type_ in zip(values, types, strict=True)]
    except (ValueError, TypeError, OverflowError, binascii.Error, msgspec.DecodeError):
        raise BadRequest("invalid cursor; pass back next_cursor exactly as received") from None


def _convert(value: Any, type_: type) -> Any:
    if type_ is datetime:
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if type_ is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError
        return float(value)
    if type_ is bool:
        if not isinstance(value, bool):
            raise ValueError
        return value
    if type_ is int:
        # Every integer in a cursor is an id, a count or a sequence number: all fit a bigint.
        if isinstance(value, bool) or not isinstance(value, int) or not -MAX_ID <= value <= MAX_ID:
            raise ValueError
        return value
    if type_ is str:
        if not isinstance(value, str) or "\x00" in value:  # PostgreSQL text cannot hold NUL
            raise ValueError
        return value
    raise TypeError(f"cursors cannot hold {type_!r}")


def page_limit(limit: int | None, *, default: int, maximum: int) -> int:
    """The page size asked for, `default` when none; 400 outside 1..maximum."""
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise BadRequest(f"limit must be between 1 and {maximum}")
    return limit


def next_page(
    rows: Sequence[R], limit: int, key: Callable[[R], tuple[Any, ...]]
) -> tuple[list[R], str | None]:
    """Split the `limit + 1` rows a keyset query fetched into this page and the next cursor."""
    if len(rows) <= limit:
        return list(rows), None
    page = list(rows[:limit])
    return page, encode_cursor(*key(page[-1]))
