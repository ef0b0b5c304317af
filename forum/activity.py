"""TRANSITIONAL: removed when forum/http and forum/pages import the new modules.

Notifications now live in forum.service.notifications, statistics and the participation export
in forum.service.stats, notification_view and export_rows_view in forum.presenters.
"""

from __future__ import annotations

from forum.presenters import export_rows_view, notification_view
from forum.service.notifications import mark_notifications, notifications
from forum.service.stats import (
    EXPORT_BATCH,
    EXPORT_COLUMNS,
    check_export_allowed,
    learner_stats,
    participation_csv,
)

__all__ = [
    "EXPORT_BATCH",
    "EXPORT_COLUMNS",
    "check_export_allowed",
    "export_rows_view",
    "learner_stats",
    "mark_notifications",
    "notification_view",
    "notifications",
    "participation_csv",
]
