"""Finding people by name: what both contexts' staff lists search with.

A search matches the start of a member's name, family name or email, in any case. Migration
0009 indexes `lower(...) text_pattern_ops` on each, so a prefix LIKE is an index range scan
whatever the collation (pg_trgm would allow infix search, but the embedded PostgreSQL lacks it).
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

MAX_QUERY = 100

# The `q` of a list searchable by name (longer is a 400, like every bounded parameter).
NameSearch = Annotated[str | None, QueryParameter(max_length=MAX_QUERY)]


def like_prefix(text: str) -> str | None:
    """The LIKE pattern for names starting with `text` (wildcards taken literally), or None
    for an empty search (no filter)."""
    text = text.strip().lower()[:MAX_QUERY]
    if not text:
        return None
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
