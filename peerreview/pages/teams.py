"""The teams page of a team assignment (staff): who is in which team, who is in none, and
replacing the teams from a pasted list or from one of the LMS's group sets (instructors, until
reviews are allocated)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.errors import Unprocessable
from agora.params import PathId
from peerreview.pages.urls import ASSIGNMENT, SECTION
from peerreview.service import common as common_service
from peerreview.service import teams as teams_service


async def _page(
    request: Request[Any, Any, Any],
    db: Db,
    principal: CurrentPrincipal,
    assignment_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response[Any]:
    roster = await teams_service.roster(db, principal, assignment_id)
    assignment = await common_service.load_assignment(db, principal, assignment_id)
    return await web.render_page(
        request, db, principal, "peerreview/teams.html", section=SECTION, status=status,
        a=assignment, roster=roster, can_edit=principal.is_instructor and not roster.fixed,
        **extra,
    )  # fmt: skip


@get(ASSIGNMENT + "/teams")
async def teams_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    return await _page(request, db, principal, assignment_id)


@post(ASSIGNMENT + "/teams", status_code=200)
async def import_teams(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """A list with unusable lines answers 422 with the page listing them and the list kept."""
    text = (await web.form_fields(request)).get("teams", "")
    try:
        done = await teams_service.import_list(db, principal, assignment_id, text)
    except teams_service.ListProblems as problems:
        return await _page(
            request, db, principal, assignment_id, status=422, problems=problems, pasted=text
        )
    return await _page(request, db, principal, assignment_id, done=done)


@post(ASSIGNMENT + "/teams/lms-groups", status_code=200)
async def import_lms_groups(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """A set that cannot be used (a learner in two of its groups) answers 422 saying why."""
    set_key = (await web.form_fields(request)).get("set", "")
    try:
        done = await teams_service.import_lms_groups(db, principal, assignment_id, set_key)
    except Unprocessable as error:
        return await _page(
            request, db, principal, assignment_id, status=422, groups_problem=error.detail,
            chosen_set=set_key,
        )  # fmt: skip
    return await _page(request, db, principal, assignment_id, done=done, chosen_set=set_key)


@post(ASSIGNMENT + "/teams/lms-groups/refresh", status_code=200)
async def refresh_lms_groups(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    asked = await teams_service.refresh_lms_groups(db, principal, assignment_id)
    return await _page(request, db, principal, assignment_id, groups_asked=asked)


ROUTES = [teams_page, import_teams, import_lms_groups, refresh_lms_groups]
