"""Deadline pages: the staff's schedule (each phase switch and the next one, the late-work
policy form) and extensions; the learner's own due date, extension, late penalty and reminders.

Both are fragments the assignment page loads (htmx, on load), so the page handlers stay as they
are; forms post here and answer with the whole assignment page again.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.params import PathId
from peerreview import schemas as s
from peerreview.pages.forms import deadline
from peerreview.pages.overview import assignment_page_after
from peerreview.pages.urls import ASSIGNMENT, SECTION, assignment_url
from peerreview.service import assignments as assignments_service
from peerreview.service import common as common_service
from peerreview.service import deadlines as deadlines_service
from peerreview.service import extensions as extensions_service
from peerreview.service import submissions as submissions_service


@get(ASSIGNMENT + "/schedule")
async def schedule_fragment(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """The schedule, the policy form (instructors) and the extensions (staff)."""
    common_service.require_staff(principal)
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    return await web.render_fragment(
        request, db, principal, "peerreview/_schedule.html", section=SECTION, a=a,
        url=assignment_url(course_id, assignment_id),
        schedule=await deadlines_service.get_schedule(db, principal, assignment_id),
        extensions=await extensions_service.list_extensions(db, principal, assignment_id),
        learners=await extensions_service.learner_choices(db, principal),
    )  # fmt: skip


@get(ASSIGNMENT + "/due")
async def due_fragment(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """The learner's due date, extension, lateness and reminders (and the submission form when
    only their extension or the late-work policy keeps submissions open for them)."""
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    late = await extensions_service.late_status(db, principal, assignment_id)
    reminders = await deadlines_service.my_reminders(db, principal, course_id, assignment_id)
    mine = await submissions_service.list_submissions(db, principal, assignment_id, None, 1)
    return await web.render_fragment(
        request, db, principal, "peerreview/_due.html", section=SECTION, a=a, late=late,
        reminders=reminders.items, url=assignment_url(course_id, assignment_id),
        submission=mine.items[0] if mine.items else None,
    )  # fmt: skip


@post(ASSIGNMENT + "/schedule", status_code=200)
async def set_schedule(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await web.form_fields(request)
    raw: dict[str, Any] = {
        "opens_at": deadline(form.get("opens_at")),
        "release_at": deadline(form.get("release_at")),
        "accept_late": web.form_checked(form.get("accept_late")),
    }
    for field in ("grace_minutes", "penalty_per_day", "penalty_max", "remind_hours"):
        if form.get(field, "") != "":
            raw[field] = form[field]
    data = web.convert_form(raw, s.ScheduleWrite)
    await deadlines_service.set_schedule(db, principal, assignment_id, data)
    return await assignment_page_after(request, db, principal, assignment_id, saved=True)


@post(ASSIGNMENT + "/extensions", status_code=200)
async def grant_extension(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await web.form_fields(request)
    raw = {
        "user_id": form.get("user_id", ""),
        "due_at": deadline(form.get("due_at")),
        "reason": form.get("reason", ""),
    }
    data = web.convert_form(raw, s.ExtensionWrite)
    await extensions_service.grant_extension(db, principal, assignment_id, data)
    return await assignment_page_after(request, db, principal, assignment_id, saved=True)


@post(ASSIGNMENT + "/extensions/{user_id:int}/revoke", status_code=200)
async def revoke_extension(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    user_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    await extensions_service.revoke_extension(db, principal, assignment_id, user_id)
    return await assignment_page_after(request, db, principal, assignment_id, saved=True)


ROUTES: list[HTTPRouteHandler] = [
    schedule_fragment,
    due_fragment,
    set_schedule,
    grant_extension,
    revoke_extension,
]
