"""The staff review queue: doubtful grades with their reviews side by side, open regrade
requests, and the override form that settles a grade."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.params import Cursor, PathId
from peerreview import schemas as s
from peerreview import service
from peerreview.pages.urls import ASSIGNMENT, GRADE, SECTION, assignment_url

QUEUE_PAGE = 10  # grades per page: each comes with its submission and reviews
REVIEWS_SHOWN = 20
REGRADES_SHOWN = 50


@get(ASSIGNMENT + "/doubtful")
async def doubtful_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
) -> Response[Any]:
    service.require_staff(principal)
    a = await service.get_assignment(db, principal, assignment_id)
    queue = await service.list_grades(
        db, principal, assignment_id, cursor, QUEUE_PAGE, doubtful=True
    )
    items = []
    for grade in queue.items:
        submission = await service.get_submission(db, principal, grade.id)
        reviews = await service.reviews_of_submission(db, principal, grade.id, None, REVIEWS_SHOWN)
        items.append({"grade": grade, "submission": submission, "reviews": reviews.items})
    regrades = await service.list_regrades(db, principal, assignment_id, None, REGRADES_SHOWN)
    return await web.render_page(
        request, db, principal, "peerreview/doubtful.html", section=SECTION, a=a,
        items=items, next_cursor=queue.next_cursor, regrades=regrades,
        url=assignment_url(course_id, assignment_id),
    )  # fmt: skip


@post(GRADE + "/override", status_code=200)
async def override(
    request: Request[Any, Any, Any],
    course_id: PathId,
    submission_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await web.form_fields(request)
    score = form.get("score", "").strip()
    data = web.convert_form(
        {"score": score.replace(",", ".") if score else None, "reason": form.get("reason", "")},
        s.Override,
    )
    grade = await service.override_grade(db, principal, submission_id, data)
    shared = await web.shared_context(request, db, principal, SECTION)
    return web.fragment("peerreview/_override_done.html", **shared, grade=grade)


ROUTES: list[HTTPRouteHandler] = [doubtful_page, override]
