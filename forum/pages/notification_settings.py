"""The member's notification settings page: per kind, email digest, in the forum only, or off."""

from __future__ import annotations

from typing import Any, get_args

from litestar import Request, Response, get, post

from agora import web
from agora.deps import AppSettings, CurrentPrincipal, Db
from agora.errors import BadRequest
from agora.params import PathId
from forum.pages.urls import COURSE
from forum.schemas import Delivery, NotificationPreferencesUpdate
from forum.service import notifications as notifications_service

DELIVERIES = get_args(Delivery)


@get(COURSE + "/notifications/preferences")
async def preferences_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Response[Any]:
    prefs = await notifications_service.preferences(db, principal, course_id, settings)
    return await web.render_page(
        request, db, principal, "forum/notification_preferences.html", section="notifications",
        prefs=prefs, deliveries=DELIVERIES, saved=False,
    )  # fmt: skip


@post(COURSE + "/notifications/preferences", status_code=200)
async def save_preferences(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Response[Any]:
    form = await web.form_fields(request)
    chosen = {k: form[k] for k in notifications_service.PREFERENCE_KINDS if k in form}
    if any(v not in DELIVERIES for v in chosen.values()):
        raise BadRequest("choose email, in_app or off")
    data = web.convert_form({"preferences": chosen}, NotificationPreferencesUpdate)
    prefs = await notifications_service.set_preferences(db, principal, course_id, data, settings)
    return await web.render_page(
        request, db, principal, "forum/notification_preferences.html", section="notifications",
        prefs=prefs, deliveries=DELIVERIES, saved=True,
    )  # fmt: skip


HANDLERS = [preferences_page, save_preferences]
