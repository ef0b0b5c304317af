"""Server-rendered forum pages under /ui (collected by agora.app), one module per audience.

browse (home, lists, new thread, search, notifications), thread (the thread page and replying),
post_actions (what a reader does to a post), moderation (staff pages, thread tools, the log),
settings (the forum settings and boards). Pages are thin: forum.service decides every rule. Path
ids are agora.params.PathId (400 when out of range); the principal dependency refuses another
course's `{course_id}` before a page runs.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router

from agora import web
from forum.pages import (
    browse,
    grading,
    moderation,
    notification_settings,
    post_actions,
    post_html,
    settings,
    thread,
)

web.register_templates("forum", Path(__file__).parent.parent / "templates")
for name in ("post_html", "tree_html", "vote_html"):  # a post's markup (forum.pages.post_html)
    web.register_global(name, getattr(post_html, name))

# What the launch page shows for each kind of resource-link target.
web.register_target("forum", browse.home_view)
web.register_target("board", browse.board_target)
web.register_target("thread", thread.thread_target)

ROUTES: list[Router] = [
    web.page_router(
        *browse.HANDLERS,
        *thread.HANDLERS,
        *post_actions.HANDLERS,
        *moderation.HANDLERS,
        *grading.HANDLERS,
        *settings.HANDLERS,
        *notification_settings.HANDLERS,
    )
]
