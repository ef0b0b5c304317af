"""Forum JSON API under /api/v1 (collected by agora.app), one module per sub-domain.

Handlers are thin: a decoded Struct in, one service call, a Struct out. Ids, cursors and limits
are agora.params types (400 when out of range); the principal dependency refuses a session of
another course on every `{course_id}` route before a handler runs.
"""

from __future__ import annotations

from typing import Any

from forum.http import (
    attachments,
    boards,
    events,
    follows,
    grading,
    moderation,
    notifications,
    posts,
    search,
    settings,
    stats,
    threads,
    votes,
)

ROUTES: list[Any] = [
    boards.BoardRoutes,
    grading.GradingRoutes,
    threads.CourseThreadRoutes,
    threads.ThreadRoutes,
    posts.ThreadPostRoutes,
    posts.PostRoutes,
    votes.VoteRoutes,
    follows.CourseFollowRoutes,
    follows.ThreadFollowRoutes,
    moderation.ThreadModerationRoutes,
    moderation.PostModerationRoutes,
    moderation.StaffModerationRoutes,
    search.SearchRoutes,
    settings.SettingsRoutes,
    notifications.NotificationRoutes,
    notifications.unsubscribe_page,
    notifications.unsubscribe,
    stats.StatsRoutes,
    events.EventRoutes,
    attachments.PostAttachmentRoutes,
    attachments.AttachmentRoutes,
    attachments.download,
]
