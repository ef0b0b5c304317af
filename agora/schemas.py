"""The bases every context's request and response Structs derive from, and the bounded id type.

Inputs forbid unknown fields (a typo in a field name is a 400, not silently ignored); outputs are
keyword-only so adding a field never breaks a caller. `Page[T]` is the one list envelope.

Every Input also refuses, in any field however nested, what PostgreSQL cannot store: a NUL
character in text and an integer outside bigint. That check is here, once, rather than as a
constraint on each field, so a field added tomorrow is covered too: msgspec turns the ValueError
into a validation error, which Litestar answers 400 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import msgspec

# PostgreSQL bigint: any id outside 1..2^63-1 cannot exist, and must be a 400, never a driver
# overflow (a 500).
MAX_ID = 2**63 - 1
MIN_BIGINT = -(2**63)
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]

T = TypeVar("T")


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            problem = storable_problem(getattr(self, name))
            if problem:
                raise ValueError(f"`{name}` {problem}")


def storable_problem(value: Any) -> str:
    """Why PostgreSQL could not store `value` (text with a NUL, an integer beyond bigint), or
    '' when it could; looks inside lists, dicts and nested Structs."""
    if isinstance(value, str):
        return "must not contain a NUL character (\\u0000)" if "\x00" in value else ""
    if isinstance(value, int):
        return "is beyond a 64-bit integer" if not MIN_BIGINT <= value <= MAX_ID else ""
    if isinstance(value, list | tuple | set | frozenset):
        return next((p for p in map(storable_problem, value) if p), "")
    if isinstance(value, dict):
        items = (storable_problem(x) for pair in value.items() for x in pair)
        return next((p for p in items if p), "")
    if isinstance(value, msgspec.Struct) and not isinstance(value, Input):  # Inputs check
        fields = (storable_problem(getattr(value, f)) for f in value.__struct_fields__)
        return next((p for p in fields if p), "")
    return ""


class Output(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


class Page(Output, Generic[T]):
    """One page of a keyset-paginated list; pass `next_cursor` back for the next one."""

    items: list[T]
    next_cursor: str | None
