"""The pages both audiences open: the assignments list and the assignment page.

Learners see their own work, calibration, "review next" and their grade; staff see the
progress dashboard and its long lists (grades, waiting learners, passback) with names, a page
at a time, searchable by name. These views are also what a launch into an assignment (or into the
peer-review list) shows.

Page handlers declare `course_id` as a bounded PathId; the principal dependency has already
checked it is the session's course, so handlers never check it again.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.names import NameSearch
from agora.params import Cursor, PathId
from agora.sessions import Principal
from peerreview import rules
from peerreview import schemas as s
from peerreview.pages.urls import (
    ASSIGNMENT,
    ASSIGNMENTS,
    SECTION,
    assignment_url,
    assignments_url,
    more_url,
)
from peerreview.service import allocations as allocations_service
from peerreview.service import assignments as assignments_service
from peerreview.service import attachments as attachments_service
from peerreview.service import calibration as calibration_service
from peerreview.service import common as common_service
from peerreview.service import grades as grades_service
from peerreview.service import passback as passback_service
from peerreview.service import self_assessments as self_assessments_service
from peerreview.service import submissions as submissions_service


async def assignment_view(
    db: asyncpg.Connection, principal: Principal, assignment_id: int
) -> web.View:
    """The assignment as this viewer sees it: the learner page or, for staff, the dashboard."""
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    url = assignment_url(principal.course_id, assignment_id)
    context = {"a": a, "url": url, "page_url": url, "phases": s.PHASES}
    if a.can_supervise:
        context |= await dashboard_context(db, principal, a)
        return "peerreview/dashboard.html", context
    context |= await learner_context(db, principal, assignment_id)
    return "peerreview/assignment.html", context


async def learner_context(
    db: asyncpg.Connection, principal: Principal, assignment_id: int
) -> dict[str, Any]:
    """The learner's own submission, calibration progress and (once released) grade."""
    mine = await submissions_service.list_submissions(db, principal, assignment_id, None, 1)
    calibration = await calibration_service.calibration_state(db, principal, assignment_id)
    grades = await grades_service.list_grades(db, principal, assignment_id, None, 1, doubtful=False)
    submission = await attachments_service.with_files(
        db, principal, mine.items[0] if mine.items else None
    )
    return {
        "submission": submission,
        "calibration": calibration,
        "grade": grades.items[0] if grades.items else None,
        "self_assessment": await self_assessments_service.of_own_submission(
            db, principal, submission
        ),
    }


async def dashboard_context(
    db: asyncpg.Connection, principal: Principal, a: s.AssignmentRead
) -> dict[str, Any]:
    """Staff's progress figures, the waiting and doubtful lists, grades and passback (the first
    rows of each, with names; the whole list, searchable by name, is a page of its own)."""
    submissions = await submissions_service.list_submissions(db, principal, a.id, None, 100)
    waiting = await allocations_service.waiting(db, principal, a.id, None, DASHBOARD_ROWS)
    doubtful = await grades_service.list_grades(db, principal, a.id, None, 50, doubtful=True)
    grades = await grades_service.list_grades(
        db, principal, a.id, None, DASHBOARD_ROWS, doubtful=False
    )
    calibration = await calibration_service.calibration_state(db, principal, a.id)
    passback = (
        await passback_service.passback_status(db, principal, a.id, None, DASHBOARD_ROWS)
        if a.phase == "released"
        else None
    )
    return {
        "submissions": submissions,
        "waiting": waiting,
        "doubtful": doubtful,
        "grades": grades,
        "calibration": calibration,
        "passback": passback,
    }


# ---- the staff's long lists: a page at a time, searchable by name ---------------------------

DASHBOARD_ROWS = 20  # rows of each list on the dashboard
LIST_PAGE = 100


async def _people_list(
    request: Request[Any, Any, Any],
    db: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    kind: str,
    page: Any,
    q: str | None,
) -> Response[Any]:
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    url = assignment_url(principal.course_id, assignment_id)
    return await web.render_page(
        request, db, principal, "peerreview/people.html", section=SECTION, a=a, url=url,
        kind=kind, page=page, q=q or "", more_url=more_url(f"{url}/{kind}", page.next_cursor, q),
    )  # fmt: skip


@get(ASSIGNMENT + "/grades")
async def grades_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    q: NameSearch = None,
) -> Response[Any]:
    common_service.require_staff(principal)
    page = await grades_service.list_grades(
        db, principal, assignment_id, cursor, LIST_PAGE, doubtful=False, q=q
    )
    return await _people_list(request, db, principal, assignment_id, "grades", page, q)


@get(ASSIGNMENT + "/waiting")
async def waiting_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    q: NameSearch = None,
) -> Response[Any]:
    page = await allocations_service.waiting(db, principal, assignment_id, cursor, LIST_PAGE, q)
    return await _people_list(request, db, principal, assignment_id, "waiting", page, q)


@get(ASSIGNMENT + "/passback")
async def passback_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    q: NameSearch = None,
) -> Response[Any]:
    page = await passback_service.passback_status(
        db, principal, assignment_id, cursor, LIST_PAGE, q
    )
    return await _people_list(request, db, principal, assignment_id, "passback", page, q)


async def assignments_view(
    db: asyncpg.Connection, principal: Principal, _target: Any = None
) -> web.View:
    page = await assignments_service.list_assignments(db, principal, principal.course_id, None, 100)
    url = assignments_url(principal.course_id)
    can_manage = rules.can_manage_assignment(principal)  # the "New assignment" button
    return "peerreview/list.html", {"assignments": page, "page_url": url, "can_manage": can_manage}


async def launch_target(
    db: asyncpg.Connection, principal: Principal, assignment_id: int | None
) -> web.View:
    """What a launch shows for an "assignment" target: the assignment, or the list without one."""
    if assignment_id is None:
        return await assignments_view(db, principal)
    return await assignment_view(db, principal, assignment_id)


async def assignment_page_after(
    request: Request[Any, Any, Any],
    db: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    **extra: Any,
) -> Response[Any]:
    """The whole assignment page again after a form post (htmx swaps the body)."""
    view = await assignment_view(db, principal, assignment_id)
    return await web.render_view(
        request, db, principal, view, section=SECTION, fragment=False, **extra
    )


@get(ASSIGNMENTS)
async def assignments_page(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[Any]:
    return await web.render_view(
        request, db, principal, await assignments_view(db, principal), section=SECTION
    )


@get(ASSIGNMENT)
async def assignment_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    view = await assignment_view(db, principal, assignment_id)
    return await web.render_view(request, db, principal, view, section=SECTION)


ROUTES: list[HTTPRouteHandler] = [
    assignments_page,
    assignment_page,
    grades_page,
    waiting_page,
    passback_page,
]
