"""A member's in-app notifications (replies, mentions, answers, endorsements, new threads)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import Cursor, Limit, PathId
from forum.schemas import NotificationPage, NotificationsMark
from forum.service import notifications as notifications_service


class NotificationRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @get("/notifications")
    async def notifications(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        unread: FromQuery[bool] = False,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> NotificationPage:
        return await notifications_service.notifications(
            db, principal, course_id, unread_only=unread, cursor=cursor, limit=limit
        )

    @post("/notifications/read", status_code=200)
    async def mark(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        data: JSONBody[NotificationsMark],
    ) -> dict[str, Any]:
        return await notifications_service.mark_notifications(db, principal, course_id, data)
