"""TRANSITIONAL: removed when forum/http and forum/pages import the new modules.

The anonymity rule now lives in forum.presenters.author_view (deciding through
forum.rules.can_see_author); the viewer types in forum.rules.
"""

from __future__ import annotations

from forum.presenters import (
    ANONYMOUS_NAME,
    author_for_storage,
    author_from_storage,
    author_view,
)
from forum.rules import JobViewer, Viewer
from forum.rules import can_see_author as may_see_author

__all__ = [
    "ANONYMOUS_NAME",
    "JobViewer",
    "Viewer",
    "author_for_storage",
    "author_from_storage",
    "author_view",
    "may_see_author",
]
