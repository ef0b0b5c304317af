"""TRANSITIONAL: removed when forum/http and forum/pages import the new modules.

Live events now live in forum.service.live (their SQL in forum.queries.live).
"""

from __future__ import annotations

from forum.queries.live import EVENT_SQL
from forum.service.live import EVENT_TYPES, build_event, for_viewer, publish

__all__ = ["EVENT_SQL", "EVENT_TYPES", "build_event", "for_viewer", "publish"]
