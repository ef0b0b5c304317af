"""Who may see and do what in the forum: small pure functions, each decision in one place.

In the spirit of Discourse's guardian (lib/guardian/post_guardian.rb): a viewer and the rows
(or their facts) in, a bool out; no I/O. Services ask these before acting and raise the domain
error that fits; presenters turn them into the `can_*` flags templates and API clients read, so
a button is offered exactly when the service would accept the action.

Who may see a post's author (the anonymity rule) is `can_see_author`, applied by one function,
forum.presenters.author_view, through which every author leaves the forum.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Protocol

from agora.sessions import STAFF_ROLES, Principal
from forum.schemas import ForumSettings


class Viewer(Protocol):
    """Whoever a response is for: a request's Principal, or a JobViewer."""

    @property
    def user_id(self) -> int: ...

    @property
    def is_staff(self) -> bool: ...


class JobViewer:
    """A viewer outside a request (notifications, digests, live events): id and role."""

    def __init__(self, user_id: int, role: str | None) -> None:
        self.user_id = user_id
        self.role = role

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class ThreadFacts(Protocol):
    """What the rules read of a thread (ThreadRow, ThreadHead, ThreadRef all have it)."""

    @property
    def author_id(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def locked(self) -> bool: ...

    @property
    def closed(self) -> bool: ...

    @property
    def hidden(self) -> bool: ...

    @property
    def deleted(self) -> bool: ...

    @property
    def post_first(self) -> bool: ...

    @property
    def private_to(self) -> int | None: ...


class PostFacts(Protocol):
    """What the rules read of a post (PostRow, PostDetail)."""

    @property
    def author_id(self) -> int: ...

    @property
    def parent_id(self) -> int | None: ...

    @property
    def deleted(self) -> bool: ...

    @property
    def hidden(self) -> bool: ...

    @property
    def created_at(self) -> datetime: ...


# ---- standing in the course's forum (restrictions in force) ---------------------------------


def can_read_forum(restrictions: Collection[str]) -> bool:
    return "ban" not in restrictions


def can_write_forum(restrictions: Collection[str]) -> bool:
    """Post, reply, edit, vote, flag: not while muted (or banned)."""
    return can_read_forum(restrictions) and "mute" not in restrictions


def is_rate_limited(viewer: Viewer) -> bool:
    """Staff post as fast as they need to."""
    return not viewer.is_staff


# ---- seeing -----------------------------------------------------------------------------------


def sees_hidden(viewer: Viewer) -> bool:
    """Staff see hidden threads and posts (lists, search, live events) and deleted ones' text."""
    return viewer.is_staff


def can_search_by_author(viewer: Viewer) -> bool:
    """Searching by author is staff's (a learner could probe who wrote what); posts anonymous
    to all are never found by author, by anyone (the search query leaves them out)."""
    return viewer.is_staff


def can_see_flags(viewer: Viewer) -> bool:
    """Flag counts, the flagged filter, the queue."""
    return viewer.is_staff


def can_see_thread(viewer: Viewer, thread: ThreadFacts) -> bool:
    """A hidden thread stays visible to its author; a deleted one only to staff; a private one
    to staff and its one learner (`private_to`)."""
    if viewer.is_staff:
        return True
    if thread.deleted or not can_see_private(viewer, thread.private_to):
        return False
    return not thread.hidden or thread.author_id == viewer.user_id


def can_see_private(viewer: Viewer, private_to: int | None) -> bool:
    """A private thread (Piazza's "private post") is seen by staff and `private_to` only: the
    learner who asked, or the learner staff wrote to. SQL twin: `private_to IS NULL OR
    private_to = viewer OR staff` in every query that lists threads or posts."""
    return private_to is None or viewer.is_staff or private_to == viewer.user_id


def can_write_privately(viewer: Viewer, recipient_id: int | None) -> bool:
    """Learners ask staff privately (no recipient); only staff write to one learner."""
    return recipient_id is None or viewer.is_staff


def can_make_public(viewer: Viewer, thread: ThreadFacts) -> bool:
    """Staff publish a private question to the course (optionally hiding who asked)."""
    return viewer.is_staff and thread.private_to is not None


def can_announce(viewer: Viewer) -> bool:
    """Announcements (pinned, notify every member) are staff's."""
    return viewer.is_staff


def can_see_post(viewer: Viewer, thread: ThreadFacts) -> bool:
    """A post is reachable when its thread is; hidden/deleted posts stay as placeholders."""
    return can_see_thread(viewer, thread)


def can_see_all_replies(viewer: Viewer, thread: ThreadFacts, *, has_replied: bool) -> bool:
    """In a post-first thread a learner sees others' replies only after replying."""
    return (
        viewer.is_staff
        or not thread.post_first
        or has_replied
        or thread.author_id == viewer.user_id
    )


def can_see_reply(
    viewer: Viewer, thread: ThreadFacts, post: PostFacts, *, has_replied: bool
) -> bool:
    """One post on its own (read, vote, flag, history) by the rule of can_see_all_replies: the
    opening post and the viewer's own replies always, others' replies once they may see all."""
    return (
        not is_reply(post)
        or is_own(viewer, post)
        or can_see_all_replies(viewer, thread, has_replied=has_replied)
    )


def is_own(viewer: Viewer, post: PostFacts) -> bool:
    return post.author_id == viewer.user_id


def can_see_body(viewer: Viewer, post: PostFacts) -> bool:
    """Deleted posts are blank to learners; hidden ones to learners other than the author."""
    if viewer.is_staff:
        return True
    if post.deleted:
        return False
    return not post.hidden or is_own(viewer, post)


def can_see_source(viewer: Viewer, post: PostFacts) -> bool:
    """The Markdown source (for editing): the author's and staff's, when the body shows."""
    return (is_own(viewer, post) or viewer.is_staff) and can_see_body(viewer, post)


def can_see_hidden_reason(viewer: Viewer, post: PostFacts) -> bool:
    return viewer.is_staff or is_own(viewer, post)


def can_see_revisions(viewer: Viewer, post: PostFacts) -> bool:
    return is_own(viewer, post) or viewer.is_staff or not (post.hidden or post.deleted)


# An edit with one of these reason codes removed something learners must not read (a leaked exam
# answer, a policy breach). A revision keeps the text *before* its edit, so that revision and every
# earlier one may still hold what was removed: their text becomes staff-only.
REDACTING_REASON_CODES = ("answer_leak", "policy")


def can_see_revision_text(viewer: Viewer, *, redacted: bool, before_redacting_edit: bool) -> bool:
    """A redacted revision, or one at or before a redacting edit, shows its text to staff only
    (learners, the author included, see that an edit happened, by whom and why)."""
    return viewer.is_staff or not (redacted or before_redacting_edit)


def can_redact(viewer: Viewer) -> bool:
    """Staff remove a revision's text from learners' view (kept for staff, with the reason)."""
    return viewer.is_staff


def can_see_author(viewer: Viewer, author_id: int | None, anonymity: str) -> bool:
    """Anonymous to peers: staff see the author; anonymous to all: nobody but the author."""
    if anonymity == "none":
        return True
    if author_id is not None and author_id == viewer.user_id:
        return True
    return anonymity == "peers" and viewer.is_staff


def can_see_live_reply(viewer: Viewer, *, post_first: bool, own: bool) -> bool:
    """A live event cannot know whether the viewer replied yet: in a post-first thread learners
    get a reply's ids only (their page then asks the API, which applies can_see_all_replies)."""
    return viewer.is_staff or not post_first or own


def can_see_live_event(viewer: Viewer, event_type: str, data: dict[str, object]) -> bool:
    """Learners get no events of hidden threads nor of others' private threads, nor content
    events of hidden posts."""
    if sees_hidden(viewer):
        return True
    if data.get("thread_hidden"):
        return False
    private_to = data.get("private_to")
    if private_to is not None and private_to != viewer.user_id:
        return False
    return not (
        data.get("hidden") and event_type in ("post_created", "post_edited", "vote_changed")
    )


# ---- writing ----------------------------------------------------------------------------------


ANONYMITY_ORDER = ("none", "peers", "all")


def allowed_anonymity(settings: ForumSettings) -> list[str]:
    """The modes the course allows, least anonymous first ("none" only if the instructor kept
    it: a course may make every post anonymous)."""
    allowed: list[str] = [a for a in ANONYMITY_ORDER if a in settings.anonymity]
    return allowed or ["none"]  # a stored empty list must not stop everyone from posting


def can_use_anonymity(settings: ForumSettings, anonymity: str) -> bool:
    return anonymity in allowed_anonymity(settings)


def default_post_first(settings: ForumSettings, kind: str) -> bool:
    """Post-before-seeing when the author does not say: the course's default, for questions."""
    return kind == "question" and settings.question_post_first


def thread_takes_replies(viewer: Viewer, thread: ThreadFacts) -> bool:
    """Locked and closed threads take replies from staff only.

    What else a locked or closed thread still takes (decided like Discourse, where a closed
    topic keeps its likes and flags, and Open edX, where closing stops responses only):
    - votes: yes. A vote says "this helped me" and changes no text, so a closed question's best
      answer can keep rising for the learners who find it later (can_vote ignores the thread);
    - flags: yes, always. Abuse in a closed thread must still reach staff (can_flag too);
    - edits by the author: yes, within the edit window (fixing one's own post adds no reply);
    - replies: staff only (this function)."""
    return viewer.is_staff or not (thread.locked or thread.closed)


def can_reply(viewer: Viewer, thread: ThreadFacts, *, restrictions: Collection[str]) -> bool:
    return (
        can_write_forum(restrictions)
        and can_see_thread(viewer, thread)
        and thread_takes_replies(viewer, thread)
    )


def is_editor(viewer: Viewer, post: PostFacts) -> bool:
    """The author edits and deletes their post; staff anyone's."""
    return is_own(viewer, post) or viewer.is_staff


def staff_edit_needs_reason(viewer: Viewer, post: PostFacts) -> bool:
    return not is_own(viewer, post)


def edit_window_open(
    viewer: Viewer, post: PostFacts, *, settings: ForumSettings, now: datetime
) -> bool:
    """Learners edit their posts for edit_window_minutes (0: forever); staff always."""
    window = settings.edit_window_minutes
    if viewer.is_staff or not window or not is_own(viewer, post):
        return True
    return now - post.created_at <= timedelta(minutes=window)


def can_edit(
    viewer: Viewer,
    post: PostFacts,
    *,
    settings: ForumSettings,
    restrictions: Collection[str],
    now: datetime,
) -> bool:
    return (
        can_write_forum(restrictions)
        and is_editor(viewer, post)
        and not post.deleted
        and edit_window_open(viewer, post, settings=settings, now=now)
    )


def can_attach(
    viewer: Viewer,
    post: PostFacts,
    *,
    settings: ForumSettings,
    restrictions: Collection[str],
    now: datetime,
) -> bool:
    """Files are part of a post: whoever may edit it may attach to it (its author within the
    edit window, staff always)."""
    return can_edit(viewer, post, settings=settings, restrictions=restrictions, now=now)


def can_see_attachments(viewer: Viewer, post: PostFacts) -> bool:
    """A post's files go with its body: not of a deleted post, nor of a hidden one (but to its
    author and staff)."""
    return can_see_body(viewer, post)


def can_edit_title(post: PostFacts) -> bool:
    """Only a thread's opening post has a title."""
    return post.parent_id is None


def can_delete(viewer: Viewer, post: PostFacts, *, restrictions: Collection[str]) -> bool:
    return can_read_forum(restrictions) and is_editor(viewer, post) and not post.deleted


def can_vote(viewer: Viewer, post: PostFacts, *, restrictions: Collection[str]) -> bool:
    return (
        can_write_forum(restrictions) and not is_own(viewer, post) and takes_reactions(viewer, post)
    )


def takes_reactions(viewer: Viewer, post: PostFacts) -> bool:
    """Whether the viewer may vote on or flag the post: not a deleted one, and learners not a
    hidden one, whose body they cannot see (staff already look at it)."""
    return not post.deleted and not (post.hidden and not viewer.is_staff)


def can_flag(viewer: Viewer, post: PostFacts, *, restrictions: Collection[str]) -> bool:
    return (
        can_write_forum(restrictions) and not is_own(viewer, post) and takes_reactions(viewer, post)
    )


AUTO_HIDE_ACTOR = 0  # the audit log's actor for the system's auto-hide: no person


def hidden_by_flags(last_hiding_action: str, actor_id: int) -> bool:
    """A post's hiding is the flags' doing (undone when staff dismiss them) when the newest
    hide/restore/confirm line of its audit log is the auto-hide; a moderator's hide, or their
    confirming the flags ('flags_hidden'), is a decision dismissing later flags does not undo."""
    return last_hiding_action == "post_hide" and actor_id == AUTO_HIDE_ACTOR


def flags_may_hide(post: PostFacts, *, author_role: str | None, thread_pinned: bool) -> bool:
    """Enough flags hide a post until staff decide, but not a staff member's post nor the opening
    post of a pinned thread: a group of learners must not silence the course team or its
    announcements. Those wait in the moderation queue."""
    is_staff_post = author_role in STAFF_ROLES
    return not is_staff_post and not (thread_pinned and not is_reply(post))


# ---- questions and answers --------------------------------------------------------------------


def takes_accepted_answers(thread: ThreadFacts) -> bool:
    return thread.kind == "question"


def is_asker(viewer: Viewer, thread: ThreadFacts) -> bool:
    """Only the person who asked accepts an answer."""
    return thread.author_id == viewer.user_id


def is_reply(post: PostFacts) -> bool:
    return post.parent_id is not None


def is_live(post: PostFacts) -> bool:
    return not (post.deleted or post.hidden)


def can_accept(viewer: Viewer, thread: ThreadFacts, post: PostFacts) -> bool:
    return (
        takes_accepted_answers(thread)
        and is_asker(viewer, thread)
        and is_reply(post)
        and is_live(post)
    )


def can_endorse(viewer: Viewer, post: PostFacts) -> bool:
    """Staff endorse replies (not the opening post)."""
    return viewer.is_staff and is_reply(post)


# ---- moderation and course administration ----------------------------------------------------


def can_moderate(viewer: Viewer) -> bool:
    """Pin/lock/close/hide/move threads, hide posts, resolve flags, mute and ban, the audit log,
    member statistics and the participation export: instructors and teaching assistants."""
    return viewer.is_staff


def can_be_restricted(role: str) -> bool:
    """Only learners can be muted or banned."""
    return role == "learner"


def can_follow_course(viewer: Viewer) -> bool:
    """Following every new thread of the course is a staff tool."""
    return viewer.is_staff


def can_manage_boards(principal: Principal) -> bool:
    """Boards are the instructor's: create, rename, reorder, archive."""
    return principal.is_instructor


def can_create_board(principal: Principal, settings: ForumSettings) -> bool:
    """Instructors; everyone else (learners and teaching assistants) where the course lets
    learners create boards. Renaming, reordering and archiving stay the instructor's."""
    return can_manage_boards(principal) or settings.learners_create_boards


def can_see_forum_settings(viewer: Viewer) -> bool:
    """Staff read the settings (TAs moderate by them)."""
    return viewer.is_staff


def can_edit_forum_settings(principal: Principal) -> bool:
    """The course's policy (anonymity, limits, depth) is the instructor's call, like boards."""
    return principal.is_instructor
