"""Deadline routes: an assignment's schedule and late-work policy (staff), per-learner extensions
(staff), a learner's own due date and lateness, and their deadline reminders."""

from __future__ import annotations

from litestar import delete, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import PathId, QueryId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import deadlines as deadlines_service
from peerreview.service import extensions as extensions_service

ASSIGNMENT = f"{API}/assignments/{{assignment_id:int}}"


@get(f"{ASSIGNMENT}/schedule", tags=TAGS)
async def get_schedule(
    assignment_id: PathId, db: Db, principal: CurrentPrincipal
) -> s.ScheduleRead:
    return await deadlines_service.get_schedule(db, principal, assignment_id)


@put(f"{ASSIGNMENT}/schedule", tags=TAGS)
async def set_schedule(
    assignment_id: PathId, data: JSONBody[s.ScheduleWrite], db: Db, principal: CurrentPrincipal
) -> s.ScheduleRead:
    return await deadlines_service.set_schedule(db, principal, assignment_id, data)


@get(f"{ASSIGNMENT}/extensions", tags=TAGS)
async def list_extensions(
    assignment_id: PathId, db: Db, principal: CurrentPrincipal
) -> s.ExtensionList:
    return await extensions_service.list_extensions(db, principal, assignment_id)


@put(f"{ASSIGNMENT}/extensions", tags=TAGS)
async def grant_extension(
    assignment_id: PathId, data: JSONBody[s.ExtensionWrite], db: Db, principal: CurrentPrincipal
) -> s.ExtensionRead:
    return await extensions_service.grant_extension(db, principal, assignment_id, data)


@delete(f"{ASSIGNMENT}/extensions/{{user_id:int}}", tags=TAGS)
async def revoke_extension(
    assignment_id: PathId, user_id: PathId, db: Db, principal: CurrentPrincipal
) -> None:
    await extensions_service.revoke_extension(db, principal, assignment_id, user_id)


@get(f"{ASSIGNMENT}/due", tags=TAGS)
async def my_due_date(assignment_id: PathId, db: Db, principal: CurrentPrincipal) -> s.LateStatus:
    return await extensions_service.late_status(db, principal, assignment_id)


@get(f"{API}/courses/{{course_id:int}}/reminders", tags=TAGS)
async def my_reminders(
    course_id: PathId, db: Db, principal: CurrentPrincipal, assignment_id: QueryId = None
) -> s.ReminderList:
    return await deadlines_service.my_reminders(db, principal, course_id, assignment_id)


@post(f"{API}/courses/{{course_id:int}}/reminders/read", tags=TAGS, status_code=200)
async def dismiss_reminders(
    course_id: PathId, data: JSONBody[s.RemindersRead], db: Db, principal: CurrentPrincipal
) -> dict[str, int]:
    return await deadlines_service.dismiss_reminders(db, principal, course_id, data.ids)


ROUTES: list[HTTPRouteHandler] = [
    get_schedule,
    set_schedule,
    list_extensions,
    grant_extension,
    revoke_extension,
    my_due_date,
    my_reminders,
    dismiss_reminders,
]
