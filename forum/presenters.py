"""Rows to response Structs, through the one anonymity rule and the visibility rules.

`author_view` is the one way an author leaves the forum: every response, search hit, live
event, notification and export that names a post's author goes through it (live events through
`author_for_storage` then `author_from_storage`). A post "anonymous to peers" shows its author
to instructors and TAs only; "anonymous to all" shows it to nobody (its author sees it as
theirs). The decision itself is forum.rules.can_see_author; nothing else calls it.

Deleted and hidden posts stay in the tree as placeholders (so replies keep their place): their
body is blanked for learners; staff see everything, authors see their own hidden post.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import asyncpg

from forum import rules
from forum.queries.posts import PostRow
from forum.queries.threads import ThreadSummaryRow
from forum.rules import ThreadFacts, Viewer
from forum.schemas import (
    Author,
    BoardRead,
    ForumSettings,
    LearnerStats,
    ModActionRead,
    NotificationRead,
    PostRead,
    QueueItem,
    RestrictionRead,
    RevisionRead,
    SearchHit,
    SimilarThread,
    ThreadSummary,
)

ANONYMOUS_NAME = "Anonymous"


# ---- authors: the anonymity rule ------------------------------------------------------------


def author_view(
    viewer: Viewer, author_id: int | None, name: str, anonymity: str, role: str | None = None
) -> Author:
    """The author of a post as `viewer` may see them."""
    anonymous = anonymity != "none"
    is_me = author_id is not None and author_id == viewer.user_id
    if rules.can_see_author(viewer, author_id, anonymity):
        return Author(id=author_id, name=name, anonymous=anonymous, is_me=is_me, role=role)
    return Author(id=None, name=ANONYMOUS_NAME, anonymous=True)


def author_for_storage(
    author_id: int, name: str, anonymity: str, role: str | None
) -> dict[str, Any]:
    """What may leave the database about an author (live events in Redis): never the author of a
    post anonymous to all; a peers-anonymous author stays, for staff, and is cut per viewer."""
    if anonymity == "all":
        return {"id": None, "name": ANONYMOUS_NAME, "anonymity": "all", "role": None}
    return {"id": author_id, "name": name, "anonymity": anonymity, "role": role}


def author_from_storage(viewer: Viewer, stored: dict[str, Any]) -> Author:
    return author_view(
        viewer, stored.get("id"), stored.get("name", ""), stored["anonymity"], stored.get("role")
    )


# ---- threads and posts ----------------------------------------------------------------------


def thread_view(viewer: Viewer, row: ThreadSummaryRow) -> ThreadSummary:
    return ThreadSummary(
        id=row.id,
        board_id=row.board_id,
        kind=row.kind,
        title=row.title,
        author=author_view(viewer, row.author_id, row.author_name, row.anonymity, row.author_role),
        pinned=row.pinned,
        locked=row.locked,
        closed=row.closed,
        hidden=row.hidden,
        deleted=row.deleted,
        answered=row.answered,
        post_first=row.post_first,
        duplicate_of=row.duplicate_of,
        reply_count=row.reply_count,
        score=row.score,
        unread_count=row.unread_count,
        following=row.following,
        last_activity_at=row.last_activity_at,
        created_at=row.created_at,
        open_flags=row.open_flags if rules.can_see_flags(viewer) else None,
        private=row.private_to is not None,
        announcement=row.announcement,
    )


def post_view(
    viewer: Viewer,
    row: PostRow,
    thread: ThreadFacts,
    *,
    settings: ForumSettings,
    restrictions: Collection[str],
    read_seq: int,
    now: datetime,
) -> PostRead:
    """The post as `viewer` sees it, with what they may do with it (`now`: for the edit window)."""
    mine = rules.is_own(viewer, row)
    shown = rules.can_see_body(viewer, row)
    return PostRead(
        id=row.id,
        thread_id=row.thread_id,
        parent_id=row.parent_id,
        seq=row.seq,
        depth=row.depth,
        display_depth=min(row.depth, settings.max_depth),
        author=author_view(viewer, row.author_id, row.author_name, row.anonymity, row.author_role),
        body_html=row.body_html if shown else "",
        body=row.body if rules.can_see_source(viewer, row) else None,
        score=row.score,
        reply_count=row.reply_count,
        endorsed=row.endorsed,
        accepted=row.accepted,
        deleted=row.deleted,
        hidden=row.hidden,
        hidden_reason=row.hidden_reason if rules.can_see_hidden_reason(viewer, row) else "",
        voted=row.voted,
        unread=(row.seq > read_seq and not mine and not row.deleted and not row.hidden),
        edited_at=row.edited_at,
        created_at=row.created_at,
        can_edit=rules.can_edit(viewer, row, settings=settings, restrictions=restrictions, now=now),
        can_delete=rules.can_delete(viewer, row, restrictions=restrictions),
        can_accept=rules.can_accept(viewer, thread, row),
        can_endorse=rules.can_endorse(viewer, row),
        can_flag=rules.can_flag(viewer, row, restrictions=restrictions),
        can_moderate=rules.can_moderate(viewer),
        can_vote=rules.can_vote(viewer, row, restrictions=restrictions),
        edit_needs_reason=rules.staff_edit_needs_reason(viewer, row),
        path=row.path,
        reply_to=reply_to_view(viewer, row, settings.max_depth),
    )


def reply_to_view(viewer: Viewer, row: PostRow, max_depth: int) -> Author | None:
    """The author a reply nested deeper than the course shows answers ("in reply to NAME"),
    through the anonymity rule; None for a reply shown under its parent."""
    if row.depth <= max_depth or row.parent_author_id is None:
        return None
    return author_view(
        viewer, row.parent_author_id, row.parent_author_name or "", row.parent_anonymity or "none"
    )


def answer_view(viewer: Viewer, row: PostRow, *, max_depth: int) -> PostRead:
    """An accepted or endorsed answer as a question's page shows it first: a copy to read, with
    a link to its place; no actions (they are on the post in the tree)."""
    return PostRead(
        id=row.id,
        thread_id=row.thread_id,
        parent_id=row.parent_id,
        seq=row.seq,
        depth=row.depth,
        display_depth=min(row.depth, max_depth),
        author=author_view(viewer, row.author_id, row.author_name, row.anonymity, row.author_role),
        body_html=row.body_html if rules.can_see_body(viewer, row) else "",
        score=row.score,
        reply_count=row.reply_count,
        endorsed=row.endorsed,
        accepted=row.accepted,
        deleted=row.deleted,
        hidden=row.hidden,
        voted=row.voted,
        unread=False,
        edited_at=row.edited_at,
        created_at=row.created_at,
        path=row.path,
    )


# ---- the thread tree ---------------------------------------------------------------------------

PATH_DIGITS = 8  # hex digits per level of a post's path (forum.queries.posts.INSERT_REPLY_SQL)
ROOT_PATH = f"{1:08x}"  # the opening post's path: its replies' container is the page's top list


@dataclass(frozen=True, slots=True)
class TreeItem:
    """One reply in a rendering of the tree: first close `close` open subtrees (and the open
    run, if `end_run`), start a run into container `run` if set, then the post; `owns`: it
    opens its own container of replies, closed by a later item's `close` or the layout's."""

    post: PostRead
    close: int
    end_run: bool
    run: str | None
    owns: bool


@dataclass(frozen=True, slots=True)
class TreeLayout:
    items: list[TreeItem]
    close: int
    run_open: bool


def display_home(post: PostRead, max_depth: int) -> str:
    """The path of the post whose container shows `post`: its parent down to the course's
    display depth; past it, the ancestor at that depth (deeper replies are flattened there)."""
    return post.path[: PATH_DIGITS * (min(post.depth - 1, max_depth) + 1)]


def thread_tree(posts: Sequence[PostRead], max_depth: int, *, base: str | None) -> TreeLayout:
    """Replies in path (depth-first) order laid out as nested containers, in one pass and
    without recursion, so a page of 50 posts costs 50 flat template steps.

    `base`: the container the page itself opens (the opening post's), for a whole page; a
    reply whose ancestors are not on the page (hidden until one posts) goes in the nearest
    shown one. Without it (more posts, a new reply), each reply whose container is not in the
    list starts a "run": a wrapper saying which container (`data-into`) its posts belong in,
    which agora.js moves them into, in path order."""
    items: list[TreeItem] = []
    stack: list[str] = []
    run_open, run_home = False, None
    for post in posts:
        if post.depth == 0:
            continue  # the opening post is the page's own
        home = display_home(post, max_depth)
        close, end_run, run = 0, False, None
        if home in stack or home == (base if base is not None else run_home):
            while stack and stack[-1] != home:
                stack.pop()
                close += 1
        elif base is not None:
            while stack and not home.startswith(stack[-1]):
                stack.pop()
                close += 1
        else:
            close, end_run, run, run_open, run_home = len(stack), run_open, home, True, home
            stack.clear()
        owns = post.depth <= max_depth
        if owns:
            stack.append(post.path)
        items.append(TreeItem(post, close, end_run, run, owns))
    return TreeLayout(items, len(stack), run_open)


def revision_view(viewer: Viewer, post: PostRow, r: asyncpg.Record) -> RevisionRead:
    # An author editing their anonymous post must stay as anonymous as the post.
    anonymity = post.anonymity if r["editor_id"] == post.author_id else "none"
    shown = rules.can_see_revision_text(
        viewer, redacted=r["redacted"], before_redacting_edit=r["before_redacting_edit"]
    )
    return RevisionRead(
        id=r["id"],
        editor=author_view(viewer, r["editor_id"], r["editor_name"], anonymity, r["editor_role"]),
        reason=r["reason"],
        reason_code=r["reason_code"],
        title=r["title"] if shown else None,
        body=r["body"] if shown else "",
        created_at=r["created_at"],
        withheld=r["redacted"] or r["before_redacting_edit"],
        redacted=r["redacted"],
        redaction_reason=r["redaction_reason"] if viewer.is_staff else "",
        can_redact=rules.can_redact(viewer),
    )


def board_view(r: asyncpg.Record) -> BoardRead:
    return BoardRead(**{k: r[k] for k in r.keys() if k in BoardRead.__struct_fields__})


# ---- search ---------------------------------------------------------------------------------


def snippet_html(raw: str) -> str:
    """Escape the headline text, then turn the \\x02/\\x03 markers into <mark>."""
    text = escape(raw.replace("\x02", "\x00").replace("\x03", "\x01"), quote=True)
    return text.replace("\x00", "<mark>").replace("\x01", "</mark>")


def search_hit_view(viewer: Viewer, r: asyncpg.Record) -> SearchHit:
    return SearchHit(
        thread_id=r["thread_id"],
        post_id=r["id"],
        title=r["thread_title"],
        snippet=snippet_html(r["snippet"]),
        rank=r["rank"],
        author=author_view(
            viewer, r["author_id"], r["author_name"], r["anonymity"], r["author_role"]
        ),
        created_at=r["created_at"],
    )


def similar_view(r: asyncpg.Record) -> SimilarThread:
    return SimilarThread(
        id=r["id"], title=r["title"], kind=r["kind"], answered=r["answered"],
        similarity=r["similarity"],
    )  # fmt: skip


# ---- moderation -----------------------------------------------------------------------------


def queue_item_view(viewer: Viewer, r: asyncpg.Record) -> QueueItem:
    return QueueItem(
        post_id=r["post_id"],
        thread_id=r["thread_id"],
        thread_title=r["thread_title"],
        author=author_view(
            viewer, r["author_id"], r["author_name"], r["anonymity"], r["author_role"]
        ),
        body_html=r["body_html"],
        hidden=r["hidden"],
        flag_count=r["flag_count"],
        reasons=list(r["reasons"]),
        notes=list(r["notes"])[:20],
        first_flagged_at=r["first_flagged_at"],
    )


def mod_action_view(r: asyncpg.Record) -> ModActionRead:
    return ModActionRead(**{k: r[k] for k in ModActionRead.__struct_fields__})


def restriction_view(r: asyncpg.Record) -> RestrictionRead:
    return RestrictionRead(**{k: r[k] for k in RestrictionRead.__struct_fields__})


# ---- notifications and statistics -----------------------------------------------------------


def notification_view(viewer: Viewer, r: asyncpg.Record) -> NotificationRead:
    # An endorsement's actor is the staff member, who is never anonymous; every other actor is
    # the post's author, shown through the anonymity rule.
    anonymity = "none" if r["kind"] == "endorsement" else r["anonymity"]
    return NotificationRead(
        id=r["id"],
        kind=r["kind"],
        thread_id=r["thread_id"],
        post_id=r["post_id"],
        thread_title=r["thread_title"],
        actor=author_view(viewer, r["actor_id"], r["actor_name"], anonymity, r["actor_role"]),
        read=r["read_at"] is not None,
        created_at=r["created_at"],
    )


def learner_stats_view(r: asyncpg.Record) -> LearnerStats:
    fields = {k: r[k] for k in LearnerStats.__struct_fields__ if k != "can_restrict"}
    return LearnerStats(**fields, can_restrict=rules.can_be_restricted(r["role"]))


def export_rows_view(viewer: Viewer, rows: Sequence[asyncpg.Record]) -> list[list[Any]]:
    """Rows of the participation export. The query already leaves out posts anonymous to all;
    the view rule still decides each attribution, so no author slips through a later change."""
    out = []
    for r in rows:
        author = author_view(viewer, r["author_id"], r["author_name"], r["anonymity"])
        if author.id is None:
            continue
        out.append(
            [
                author.id, author.name, r["email"], r["author_role"] or "", r["post_id"],
                r["thread_id"], "thread" if r["parent_id"] is None else "reply", r["board_name"],
                r["thread_kind"], r["created_at"].isoformat(),
            ]
        )  # fmt: skip
    return out
