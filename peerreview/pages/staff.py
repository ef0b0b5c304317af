"""Staff pages: the assignment editor with its rubric builder, moving the phase, allocating
and grading on demand, calibration examples. Each action answers with the dashboard again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.errors import BadRequest
from agora.params import PathId
from agora.sessions import Principal
from peerreview import schemas as s
from peerreview.pages.forms import (
    EMPTY_CRITERION,
    MAX_CRITERIA,
    assignment_fields,
    editor_rows,
    rubric_choices,
)
from peerreview.pages.overview import assignment_page_after
from peerreview.pages.urls import ASSIGNMENT, ASSIGNMENTS, SECTION, assignment_url
from peerreview.service import allocations as allocations_service
from peerreview.service import assignments as assignments_service
from peerreview.service import calibration as calibration_service
from peerreview.service import common as common_service
from peerreview.service import grades as grades_service


async def _editor(
    request: Request[Any, Any, Any],
    db: asyncpg.Connection,
    principal: Principal,
    a: s.AssignmentRead | None,
) -> Response[Any]:
    return await web.render_page(
        request, db, principal, "peerreview/editor.html", section=SECTION,
        a=a, criteria=editor_rows(a),
    )  # fmt: skip


@get(ASSIGNMENTS + "/new")
async def new_assignment_page(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    common_service.require_instructor(principal)
    return await _editor(request, db, principal, None)


@get(ASSIGNMENT + "/edit")
async def edit_assignment_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    common_service.require_instructor(principal)
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    return await _editor(request, db, principal, a)


@get(ASSIGNMENTS + "/criterion")
async def criterion_row(
    request: Request[Any, Any, Any],
    course_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    index: FromQuery[int] = 1,
) -> Response[Any]:
    """One more criterion for the rubric builder."""
    if not 0 <= index < MAX_CRITERIA:
        raise BadRequest(f"a rubric has at most {MAX_CRITERIA} criteria")
    return await web.render_fragment(
        request,
        db,
        principal,
        "peerreview/_criterion.html",
        section=SECTION,
        i=index,
        c=dict(EMPTY_CRITERION),
    )


@post(ASSIGNMENTS, status_code=200)
async def create_assignment(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    raw = assignment_fields(await web.form_fields(request))
    data = web.convert_form(raw, s.AssignmentCreate)
    a = await assignments_service.create_assignment(db, principal, course_id, data)
    response = await assignment_page_after(request, db, principal, a.id)
    return web.push_url(response, assignment_url(course_id, a.id))


@post(ASSIGNMENT + "/edit", status_code=200)
async def update_assignment(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    raw = assignment_fields(await web.form_fields(request))
    data = web.convert_form(raw, s.AssignmentUpdate)
    await assignments_service.update_assignment(db, principal, assignment_id, data)
    response = await assignment_page_after(request, db, principal, assignment_id, saved=True)
    return web.push_url(response, assignment_url(course_id, assignment_id))


async def _staff_action(
    request: Request[Any, Any, Any],
    db: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    action: Callable[[], Awaitable[Any]],
) -> Response[Any]:
    """Run a staff action (the service checks the role), then show the dashboard with "Done"."""
    await action()
    return await assignment_page_after(request, db, principal, assignment_id, saved=True)


@post(ASSIGNMENT + "/phase", status_code=200)
async def change_phase(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await web.form_fields(request)
    phase = web.convert_form({"phase": form.get("phase")}, s.PhaseChange).phase
    return await _staff_action(
        request, db, principal, assignment_id,
        lambda: assignments_service.change_phase(db, principal, assignment_id, phase),
    )  # fmt: skip


@post(ASSIGNMENT + "/allocate", status_code=200)
async def allocate(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    return await _staff_action(
        request, db, principal, assignment_id,
        lambda: allocations_service.request_batch_allocation(db, principal, assignment_id),
    )  # fmt: skip


@post(ASSIGNMENT + "/grade", status_code=200)
async def grade_now(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    return await _staff_action(
        request, db, principal, assignment_id,
        lambda: grades_service.request_grading(db, principal, assignment_id),
    )  # fmt: skip


@post(ASSIGNMENT + "/examples", status_code=200)
async def add_example(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    form = await web.form_fields(request)
    data = web.convert_form(
        {"body": form.get("body", ""), "choices": rubric_choices(form, a),
         "explanation": form.get("explanation", "")},
        s.ExampleCreate,
    )  # fmt: skip
    return await _staff_action(
        request, db, principal, assignment_id,
        lambda: calibration_service.add_example(db, principal, assignment_id, data),
    )  # fmt: skip


ROUTES: list[HTTPRouteHandler] = [
    new_assignment_page,
    criterion_row,
    create_assignment,
    edit_assignment_page,
    update_assignment,
    change_phase,
    allocate,
    grade_now,
    add_example,
]
