"""The forum's rules in action, one module per sub-domain (the same names as forum/queries/).

Every function takes the request's connection (inside its transaction for writes) and the
Principal, scopes everything by the principal's course, asks forum.rules who may do what, and
returns response Structs. Side effects (live events, notifications) go to the outbox in the same
transaction.

TRANSITIONAL: the names below are what the single module `forum.service` exported, re-exported
so `service.X` call sites keep working while forum/http and forum/pages move to the sub-domain
modules; removed then. While they are here `forum.service.context` and `forum.service.search`
name the old functions, not the modules: import from the modules (`from forum.service.search
import search_posts`), never `forum.service.search` as a module attribute.
"""

from __future__ import annotations

from agora.pagination import page_limit
from agora.schemas import MAX_ID as MAX_BIGINT
from forum.service.boards import MAX_BOARDS, create_board, list_boards, update_board
from forum.service.context import (
    DAY,
    Context,
    forum_settings,
    load_context,
    rate_limit_post,
    require_staff,
)
from forum.service.follows import set_follow
from forum.service.live import emit
from forum.service.moderation import (
    change_thread_state,
    hide_post_row,
    mark_duplicate,
    move_thread,
    set_post_hidden,
)
from forum.service.notifications import MENTION, mentions_in
from forum.service.posts import (
    MAX_TREE_DEPTH,
    create_post,
    delete_post,
    edit_post,
    get_post,
    revisions,
)
from forum.service.reads import mark_read
from forum.service.search import SEARCH_WORK_MEM, search_posts, similar_threads
from forum.service.threads import (
    FAR_FUTURE,
    MAX_INT,
    create_thread,
    list_posts,
    list_threads,
    read_thread,
    update_thread,
)
from forum.service.votes import accept_answer, endorse, vote

context = load_context
search = search_posts

__all__ = [
    "DAY",
    "FAR_FUTURE",
    "MAX_BIGINT",
    "MAX_BOARDS",
    "MAX_INT",
    "MAX_TREE_DEPTH",
    "MENTION",
    "SEARCH_WORK_MEM",
    "Context",
    "accept_answer",
    "change_thread_state",
    "context",
    "create_board",
    "create_post",
    "create_thread",
    "delete_post",
    "edit_post",
    "emit",
    "endorse",
    "forum_settings",
    "get_post",
    "hide_post_row",
    "list_boards",
    "list_posts",
    "list_threads",
    "mark_duplicate",
    "mark_read",
    "mentions_in",
    "move_thread",
    "page_limit",
    "rate_limit_post",
    "read_thread",
    "require_staff",
    "revisions",
    "search",
    "set_follow",
    "set_post_hidden",
    "similar_threads",
    "update_board",
    "update_thread",
    "vote",
]
