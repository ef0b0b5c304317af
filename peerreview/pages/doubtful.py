"""The staff review queue: doubtful grades with their reviews side by side, the override form
that settles a grade, and open regrade requests with the forms that answer them."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.params import Cursor, PathId
from peerreview import schemas as s
from peerreview.pages.urls import ASSIGNMENT, GRADE, SECTION, assignment_url
from peerreview.service import assignments as assignments_service
from peerreview.service import common as common_service
from peerreview.service import grades as grades_service
from peerreview.service import regrades as regrades_service
from peerreview.service import reviews as reviews_service
from peerreview.service import submissions as submissions_service

QUEUE_PAGE = 10  # grades per page: each comes with its submission and reviews
REVIEWS_SHOWN = 20
REGRADES_SHOWN = 50
REGRADE = "/courses/{course_id:int}/regrades/{regrade_id:int}"


@get(ASSIGNMENT + "/doubtful")
async def doubtful_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
) -> Response[Any]:
    common_service.require_staff(principal)
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    queue = await grades_service.list_grades(
        db, principal, assignment_id, cursor, QUEUE_PAGE, doubtful=True
    )
    items = []
    for grade in queue.items:
        submission = await submissions_service.get_submission(db, principal, grade.id)
        reviews = await reviews_service.reviews_of_submission(
            db, principal, grade.id, None, REVIEWS_SHOWN
        )
        items.append({"grade": grade, "submission": submission, "reviews": reviews.items})
    regrades = await regrades_service.list_regrades(
        db, principal, assignment_id, None, REGRADES_SHOWN
    )
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
    grade = await grades_service.override_grade(db, principal, submission_id, data)
    return await web.render_fragment(
        request, db, principal, "peerreview/_override_done.html", section=SECTION, grade=grade
    )


@post(REGRADE + "/answer", status_code=200)
async def answer_regrade(
    request: Request[Any, Any, Any],
    course_id: PathId,
    regrade_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await web.form_fields(request)
    score = form.get("score", "").strip()
    data = web.convert_form(
        {
            "decision": form.get("decision", ""),
            "score": score.replace(",", ".") if score else None,
            "reason": form.get("reason", ""),
        },
        s.RegradeAnswer,
    )
    regrade = await regrades_service.answer_regrade(db, principal, regrade_id, data)
    return await web.render_fragment(
        request, db, principal, "peerreview/_regrade_answered.html", section=SECTION,
        regrade=regrade,
    )  # fmt: skip


ROUTES: list[HTTPRouteHandler] = [doubtful_page, override, answer_regrade]
