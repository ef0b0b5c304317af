"""Request and response Structs of the forum API. Inputs forbid unknown fields.

The bases (Input, Output, Page[T]) and the bounded Id are the shared ones in agora.schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from agora.schemas import Id, Input, Output, Page

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=50_000)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Kind = Literal["discussion", "question", "notes"]
Anonymity = Literal["none", "peers", "all"]
ReasonCode = Literal["", "typo", "formatting", "clarity", "policy", "answer_leak", "other"]
FlagReason = Literal["spam", "offensive", "off_topic", "other"]


# ---- course settings (courses.settings -> 'forum') --------------------------------------------


class ForumSettings(msgspec.Struct, kw_only=True):
    """Per-course forum settings, read from `courses.settings['forum']` with these defaults."""

    max_depth: Annotated[int, msgspec.Meta(ge=1, le=10)] = 3
    anonymity: list[Anonymity] = msgspec.field(default_factory=lambda: ["none", "peers"])
    edit_window_minutes: Annotated[int, msgspec.Meta(ge=0)] = 30
    auto_hide_flags: Annotated[int, msgspec.Meta(ge=1)] = 3
    post_interval_seconds: Annotated[int, msgspec.Meta(ge=0)] = 5
    threads_per_day: Annotated[int, msgspec.Meta(ge=1)] = 20
    # A learner's edits per hour: each is a revision and a live event for every reader.
    edits_per_hour: Annotated[int, msgspec.Meta(ge=1)] = 30
    # A learner's minimum gap between two posts in the same thread (0: off), on top of
    # post_interval_seconds, so one heated thread cannot be flooded.
    slow_mode_seconds: Annotated[int, msgspec.Meta(ge=0)] = 0
    # New questions hide the replies from a learner until they have posted their own, unless the
    # asker says otherwise.
    question_post_first: bool = False
    learners_create_boards: bool = False


# The bounds an instructor may set (ForumSettings itself stays lenient when reading, so a value
# stored before a bound existed never resets a course's other settings).
Depth = Annotated[int, msgspec.Meta(ge=1, le=10)]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=10_080)]  # up to a week
Seconds = Annotated[int, msgspec.Meta(ge=0, le=86_400)]  # up to a day


class ForumSettingsUpdate(Input):
    """A change of the forum settings: the fields given replace the current ones."""

    max_depth: Depth | None = None
    anonymity: Annotated[list[Anonymity], msgspec.Meta(min_length=1, max_length=3)] | None = None
    edit_window_minutes: Minutes | None = None
    auto_hide_flags: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    post_interval_seconds: Annotated[int, msgspec.Meta(ge=0, le=3600)] | None = None
    threads_per_day: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    edits_per_hour: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    slow_mode_seconds: Seconds | None = None
    question_post_first: bool | None = None
    learners_create_boards: bool | None = None


class ForumSettingsRead(Output):
    settings: ForumSettings
    can_edit: bool  # instructors change them; teaching assistants read them


# ---- boards ---------------------------------------------------------------------------------


class BoardCreate(Input):
    name: Name
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 0


class BoardUpdate(Input):
    name: Name | None = None
    description: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None
    archived: bool | None = None


class BoardOrder(Input):
    """Every board of the course, in the order they are to be listed."""

    board_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=100)]


class BoardRead(Output):
    id: int
    name: str
    description: str
    position: int
    is_default: bool
    archived: bool
    thread_count: int = 0
    unread_threads: int = 0
    following: bool = False
    graded: bool = False  # has a grading rule (forum.service.grading); listed boards only


# ---- threads and posts ----------------------------------------------------------------------


class Author(Output):
    """An author as the viewer may see them: id and name are None when hidden by anonymity."""

    id: int | None
    name: str
    anonymous: bool
    is_me: bool = False
    role: str | None = None


class ThreadCreate(Input):
    title: Title
    body: Body
    kind: Kind = "discussion"
    board_id: Id | None = None
    anonymity: Anonymity | None = None  # None: the course's first allowed mode
    post_first: bool | None = None  # None: the course's default for questions
    # Private (staff and one learner see it): a learner's question to staff, or staff writing
    # to the learner `recipient_id` (which makes it private).
    private: bool = False
    recipient_id: Id | None = None
    # Staff: pinned, notifies every member; learners reply only if `allow_replies`.
    announcement: bool = False
    allow_replies: bool = False


class ThreadPublish(Input):
    """Make a private thread public; `anonymous`: the learner's posts become anonymous to peers."""

    anonymous: bool = False


class ThreadUpdate(Input):
    title: Title | None = None
    body: Body | None = None
    reason: Reason = ""
    reason_code: ReasonCode = ""


class ThreadStateChange(Input):
    action: Literal["pin", "unpin", "lock", "unlock", "close", "reopen", "hide", "restore"]
    reason: Reason = ""


class ThreadMove(Input):
    board_id: Id
    reason: Reason = ""


class ThreadDuplicate(Input):
    duplicate_of: Id
    reason: Reason = ""


class ReadMark(Input):
    seq: Annotated[int, msgspec.Meta(ge=0)] | None = None


class ThreadSummary(Output):
    id: int
    board_id: int
    kind: str
    title: str
    author: Author
    pinned: bool
    locked: bool
    closed: bool
    hidden: bool
    deleted: bool
    answered: bool
    post_first: bool
    duplicate_of: int | None
    reply_count: int
    score: int
    unread_count: int  # exact up to 200 (then 200: show "200+")
    following: bool
    last_activity_at: datetime
    created_at: datetime
    open_flags: int | None = None
    private: bool = False  # seen by staff and one learner only
    announcement: bool = False


class AttachmentRead(Output):
    """A file on a post. No uploader: an anonymous post's files must not name its author."""

    id: int
    post_id: int
    filename: str
    content_type: str  # as detected from the content, never as the uploader declared it
    size_bytes: int
    is_image: bool  # shown inline; anything else is a download
    url: str  # a signed link, valid for hours, that needs no session (an <img> sends none)
    created_at: datetime


class PostRead(Output):
    id: int
    thread_id: int
    parent_id: int | None
    seq: int
    depth: int
    display_depth: int
    author: Author
    body_html: str
    score: int
    reply_count: int
    endorsed: bool
    accepted: bool
    deleted: bool
    hidden: bool
    voted: bool
    unread: bool
    edited_at: datetime | None
    created_at: datetime
    hidden_reason: str = ""
    body: str | None = None  # the Markdown source, for the author and staff (editing)
    # What the viewer may do with the post (forum.rules), so pages offer exactly what works.
    can_edit: bool = False
    can_delete: bool = False
    can_accept: bool = False
    can_endorse: bool = False
    can_flag: bool = False
    can_moderate: bool = False
    can_vote: bool = False
    edit_needs_reason: bool = False  # a staff edit of someone else's post: a reason code
    attachments: list[AttachmentRead] = []  # when the viewer may see the body
    # Its place in the tree (the seq of each ancestor and its own, 8 hex digits each), and, for
    # a reply nested deeper than the course shows (flattened), the author it answers.
    path: str = ""
    reply_to: Author | None = None


class ThreadRead(Output):
    thread: ThreadSummary
    state_reason: str
    read_seq: int
    replies_hidden_until_you_post: bool
    posts: list[PostRead]
    next_cursor: str | None
    # What the viewer may do with the thread (forum.rules).
    can_reply: bool = False
    can_moderate: bool = False
    can_make_public: bool = False


class ThreadPage(Page[ThreadSummary]):
    pass


class PostPage(Page[PostRead]):
    pass


class PostCreate(Input):
    body: Body
    parent_id: Id | None = None
    anonymity: Anonymity | None = None  # None: the course's first allowed mode


class PostUpdate(Input):
    body: Body
    reason: Reason = ""
    reason_code: ReasonCode = ""


class HideRequest(Input):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class VoteRequest(Input):
    value: Literal[0, 1]


class VoteRead(Output):
    post_id: int
    score: int
    voted: bool


class RevisionRead(Output):
    id: int
    editor: Author
    reason: str
    reason_code: str
    title: str | None
    body: str  # "" (and title None) when withheld from this viewer
    created_at: datetime
    # Withheld from learners: redacted by staff, or text from before a redacting edit.
    withheld: bool = False
    redacted: bool = False
    redaction_reason: str = ""  # staff only
    can_redact: bool = False


class RevisionRedact(Input):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class RevisionPage(Page[RevisionRead]):
    pass


class SimilarThread(Output):
    id: int
    title: str
    kind: str
    answered: bool
    similarity: float


class SimilarPage(Output):
    items: list[SimilarThread]


class SearchHit(Output):
    thread_id: int
    post_id: int
    title: str
    snippet: str
    rank: float
    author: Author
    created_at: datetime


class SearchPage(Page[SearchHit]):
    pass


class FollowRead(Output):
    target_kind: str
    target_id: int
    following: bool


# ---- moderation ----------------------------------------------------------------------------


class FlagCreate(Input):
    reason: FlagReason
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class FlagRead(Output):
    post_id: int
    flagged: bool
    auto_hidden: bool


class FlagResolve(Input):
    action: Literal["hide", "dismiss"]
    reason: Reason = ""


class QueueItem(Output):
    post_id: int
    thread_id: int
    thread_title: str
    author: Author
    body_html: str
    hidden: bool
    flag_count: int
    reasons: list[str]
    notes: list[str]
    first_flagged_at: datetime


class QueuePage(Page[QueueItem]):
    pass


class ModActionRead(Output):
    id: int
    actor_id: int
    actor_name: str
    action: str
    target_kind: str
    target_id: int
    reason: str
    details: dict[str, Any]
    created_at: datetime
    # Who the action was about, as staff may see them: the muted learner, the author of the
    # hidden post or thread ("" when that author is anonymous to all, or for a board).
    target_user_id: int | None = None
    target_user_name: str = ""
    thread_id: int | None = None  # where a post or thread target lives, to link to it


class ModLogPage(Page[ModActionRead]):
    pass


class ModLogFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What the moderation log is narrowed to (None: no filter on that)."""

    action: str | None = None
    moderator: int | None = None  # actor id (0: the system, e.g. auto-hide)
    learner: int | None = None  # the member the action was about
    learner_name: str | None = None  # or members whose name, family name or email start so
    since: datetime | None = None
    until: datetime | None = None


class RestrictionCreate(Input):
    kind: Literal["mute", "ban"]
    reason: Reason = ""
    # Hours from now; None means until lifted.
    duration_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 366)] | None = None


class RestrictionRead(Output):
    user_id: int
    kind: str
    reason: str
    expires_at: datetime | None
    created_by: int
    created_at: datetime


class RestrictionList(Output):
    items: list[RestrictionRead]


# ---- notifications, stats ------------------------------------------------------------------


class NotificationRead(Output):
    id: int
    kind: str
    thread_id: int
    post_id: int
    thread_title: str
    actor: Author
    read: bool
    created_at: datetime


class NotificationPage(Page[NotificationRead]):
    unread: int


NotificationKind = Literal[
    "reply", "thread_reply", "answer", "mention", "endorsement", "new_thread", "announcement"
]  # fmt: skip
# email: in-app and in the email digest (the default); in_app: in-app only; off: not at all.
Delivery = Literal["email", "in_app", "off"]


class NotificationPreference(Output):
    kind: str
    delivery: str


class NotificationPreferences(Output):
    course_id: int
    items: list[NotificationPreference]
    email_enabled: bool  # the installation sends digests (AGORA_SMTP_URL is set)


class NotificationPreferencesUpdate(Input):
    preferences: Annotated[dict[NotificationKind, Delivery], msgspec.Meta(max_length=10)]


class NotificationsMark(Input):
    ids: Annotated[list[Id], msgspec.Meta(max_length=500)] | None = None
    all: bool = False


class LearnerStats(Output):
    user_id: int
    name: str
    role: str
    threads: int
    replies: int
    votes_received: int
    endorsed: int
    last_posted_at: datetime | None
    can_restrict: bool = False


class LearnerStatsPage(Page[LearnerStats]):
    pass


# ---- graded boards (issue 12.10) ------------------------------------------------------------

Count = Annotated[int, msgspec.Meta(ge=0, le=1000)]
Points = Annotated[float, msgspec.Meta(gt=0, le=1000)]


class BoardGradingUpdate(Input):
    """'count': full points for min_threads threads and min_replies replies in the window, in
    proportion below; 'staff': staff give each learner a score out of `points`."""

    mode: Literal["count", "staff"]
    points: Points
    min_threads: Count = 0
    min_replies: Count = 0
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class BoardGradingRead(Output):
    board_id: int
    board_name: str
    mode: str
    points: float
    min_threads: int
    min_replies: int
    opens_at: datetime | None
    closes_at: datetime | None
    resource_id: str


class BoardScoreUpdate(Input):
    score: Annotated[float, msgspec.Meta(ge=0, le=1000)]
    comment: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class BoardLearnerGrade(Output):
    user_id: int
    name: str
    email: str
    threads: int
    replies: int
    score: float | None
    comment: str = ""


class BoardLearnerGradePage(Page[BoardLearnerGrade]):
    pass


class BoardProgress(Output):
    """What a learner sees of a graded board: the rule and where they stand."""

    grading: BoardGradingRead
    threads: int
    replies: int
    score: float | None
