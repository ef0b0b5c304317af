"""The bases every context's request and response Structs derive from, and the bounded id type.

Inputs forbid unknown fields (a typo in a field name is a 400, not silently ignored); outputs are
keyword-only so adding a field never breaks a caller. `Page[T]` is the one list envelope.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

# PostgreSQL bigint: any id outside 1..2^63-1 cannot exist, and must be a 400, never a driver
# overflow (a 500).
MAX_ID = 2**63 - 1
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]

T = TypeVar("T")


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies."""


class Output(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


class Page(Output, Generic[T]):
    """One page of a keyset-paginated list; pass `next_cursor` back for the next one."""

    items: list[T]
    next_cursor: str | None
