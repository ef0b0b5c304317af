"""A member's in-app notifications (replies, mentions, answers, endorsements, new threads)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromQuery, JSONBody, PathParameter

from agora import i18n, web
from agora.deps import AppSettings, CurrentPrincipal, Db
from agora.params import Cursor, Limit, PathId
from forum.schemas import (
    NotificationPage,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    NotificationsMark,
)
from forum.service import notifications as notifications_service

Token = Annotated[str, PathParameter(max_length=200, pattern=r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$")]


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

    @get("/notifications/preferences")
    async def get_preferences(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, settings: AppSettings
    ) -> NotificationPreferences:
        """How the viewer hears of each kind: email (in-app and the digest), in_app, or off."""
        return await notifications_service.preferences(db, principal, course_id, settings)

    @put("/notifications/preferences")
    async def set_preferences(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        settings: AppSettings,
        data: JSONBody[NotificationPreferencesUpdate],
    ) -> NotificationPreferences:
        return await notifications_service.set_preferences(db, principal, course_id, data, settings)


def _language(request: Request[Any, Any, Any]) -> str:
    return i18n.choose_locale(i18n.from_accept_language(request.headers.get("accept-language")))


@get("/unsubscribe/{token:str}", tags=["forum"])
async def unsubscribe_page(request: Request[Any, Any, Any], token: Token) -> Response[str]:
    """The link in a digest: a page with one button (a GET never unsubscribes, since mail
    scanners follow links)."""
    page = web.render("forum/unsubscribe.html", locale=_language(request), token=token, done=None)
    return web.html_response(page)


@post("/unsubscribe/{token:str}", status_code=200, tags=["forum"])
async def unsubscribe(request: Request[Any, Any, Any], db: Db, token: Token) -> Response[str]:
    """One-click unsubscribe (RFC 8058: a POST with List-Unsubscribe=One-Click, or the page's
    button): the course's email digest stops; in-app notifications stay. No login needed."""
    course_title = await notifications_service.unsubscribe(db, token)
    page = web.render(
        "forum/unsubscribe.html", locale=_language(request), token=token, done=course_title
    )
    return web.html_response(page)
