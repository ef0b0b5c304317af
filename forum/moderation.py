"""TRANSITIONAL: removed when forum/http and forum/pages import the new modules.

Flags, the queue, mute/ban and the audit log now live in forum.service.moderation.
"""

from __future__ import annotations

from forum.service.moderation import (
    SYSTEM_ACTOR,
    audit_log,
    flag_post,
    lift,
    queue,
    resolve_flags,
    restrict,
    restrictions,
)

__all__ = [
    "SYSTEM_ACTOR",
    "audit_log",
    "flag_post",
    "lift",
    "queue",
    "resolve_flags",
    "restrict",
    "restrictions",
]
