"""TRANSITIONAL: removed when forum/http and forum/pages import the new modules.

The views now live in forum.presenters (post_view and thread_view take typed rows and, for
posts, the thread and the viewer's standing); the cursor codec is agora.pagination's.
"""

from __future__ import annotations

from agora.pagination import decode_cursor, encode_cursor
from forum.presenters import post_view, thread_view

__all__ = ["decode_cursor", "encode_cursor", "post_view", "thread_view"]
