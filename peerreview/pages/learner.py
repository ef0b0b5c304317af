"""Learner pages: submit one's work, calibrate, review the next submission, read one's grade,
rate a review received, ask for a regrade and read the staff's answer."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from agora import media, web
from agora.deps import AppSettings, CurrentPrincipal, Db, Files
from agora.errors import NotFound
from agora.params import PathId
from peerreview import schemas as s
from peerreview import steps
from peerreview.pages.forms import rubric_answer, rubric_choices
from peerreview.pages.overview import assignment_page_after
from peerreview.pages.urls import ASSIGNMENT, REVIEW, SECTION, SUBMISSION, assignment_url
from peerreview.service import allocations as allocations_service
from peerreview.service import assignments as assignments_service
from peerreview.service import attachments as attachments_service
from peerreview.service import calibration as calibration_service
from peerreview.service import grades as grades_service
from peerreview.service import regrades as regrades_service
from peerreview.service import review_quality as review_quality_service
from peerreview.service import reviews as reviews_service
from peerreview.service import self_assessments as self_assessments_service
from peerreview.service import submissions as submissions_service


@post(ASSIGNMENT + "/submission", status_code=200, request_max_body_size=media.UPLOAD_BODY_BYTES)
async def submit(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    store: Files,
    settings: AppSettings,
) -> Response[Any]:
    form = await web.form_fields(request)
    data = web.convert_form({"body": form.get("body", "")}, s.SubmissionWrite)
    uploads = await media.read_uploads(request, "files", max_bytes=settings.attachment_max_bytes)
    saved, _ = await submissions_service.submit(db, principal, assignment_id, data)
    if uploads:  # in the submission's transaction: a refused file saves nothing
        await attachments_service.attach_files(db, store, settings, principal, saved.id, uploads)
    return await assignment_page_after(request, db, principal, assignment_id, saved=True)


@post(ASSIGNMENT + "/calibration", status_code=200)
async def calibrate(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    form = await web.form_fields(request)
    answer = web.convert_form(
        {"example_id": form.get("example_id"), "choices": rubric_choices(form, a)},
        s.CalibrationAnswer,
    )
    result = await calibration_service.answer_calibration(db, principal, assignment_id, answer)
    return await assignment_page_after(
        request, db, principal, assignment_id, calibration_result=result
    )


@post(ASSIGNMENT + "/review/next", status_code=200)
async def review_next(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    """A POST: it leases a submission (FOR UPDATE SKIP LOCKED needs the request's transaction)."""
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    task = await allocations_service.next_review(db, principal, assignment_id)
    if task.submission is not None:  # its files, by links for this reviewer
        files = await attachments_service.with_files(db, principal, task.submission)
        task = msgspec.structs.replace(task, submission=files)
    url = assignment_url(course_id, assignment_id)
    return await web.render_page(
        request, db, principal, "peerreview/review.html", section=SECTION,
        a=a, task=task, url=url, fragment=False,
    )  # fmt: skip


@post(ASSIGNMENT + "/reviews", status_code=200)
async def create_review(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    form = await web.form_fields(request)
    data = web.convert_form(
        {"allocation_id": form.get("allocation_id"), **rubric_answer(form, a)}, s.ReviewCreate
    )
    await reviews_service.create_review(db, principal, assignment_id, data)
    return await assignment_page_after(request, db, principal, assignment_id, reviewed=True)


@post(ASSIGNMENT + "/self-assessment", status_code=200)
async def self_assess(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    form = await web.form_fields(request)
    data = web.convert_form(rubric_answer(form, a), s.SelfAssessmentWrite)
    await self_assessments_service.self_assess(db, principal, assignment_id, data)
    return await assignment_page_after(request, db, principal, assignment_id, self_assessed=True)


@get(ASSIGNMENT + "/grade")
async def grade_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    mine = await submissions_service.list_submissions(db, principal, assignment_id, None, 1)
    if not mine.items:
        raise NotFound("you have no submission in this assignment")
    submission = mine.items[0]
    grades = await grades_service.list_grades(db, principal, assignment_id, None, 1, doubtful=False)
    if not grades.items:
        raise NotFound("your grade is not released yet")
    reviews = await reviews_service.reviews_of_submission(db, principal, submission.id, None, 50)
    regrade = await regrades_service.latest_regrade(db, principal, submission.id)
    quality = await review_quality_service.my_review_quality(db, principal, assignment_id)
    own = await self_assessments_service.of_own_submission(db, principal, submission)
    return await web.render_page(
        request, db, principal, "peerreview/grade.html", section=SECTION, a=a,
        grade=grades.items[0], criteria=grades_service.criteria_shown(grades.items[0], a.rubric),
        self_assessment=own, shares=steps.shares(a),
        reviews=reviews, submission=submission, regrade=regrade, quality=quality,
        url=assignment_url(course_id, assignment_id),
    )  # fmt: skip


@post(REVIEW + "/helpfulness", status_code=200)
async def rate_review(
    request: Request[Any, Any, Any],
    course_id: PathId,
    review_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await web.form_fields(request)
    rating = web.convert_form({"rating": form.get("rating")}, s.Helpfulness).rating
    review = await reviews_service.review_feedback(db, principal, review_id, helpfulness=rating)
    return await web.render_fragment(
        request, db, principal, "peerreview/_helpfulness.html", section=SECTION, review=review
    )


@post(SUBMISSION + "/regrade", status_code=200)
async def regrade(
    request: Request[Any, Any, Any],
    course_id: PathId,
    submission_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
) -> Response[Any]:
    form = await web.form_fields(request)
    data = web.convert_form({"reason": form.get("reason", "")}, s.RegradeCreate)
    await regrades_service.request_regrade(db, principal, submission_id, data)
    return await web.render_fragment(
        request, db, principal, "peerreview/_regrade_sent.html", section=SECTION
    )


ROUTES: list[HTTPRouteHandler] = [
    submit,
    calibrate,
    review_next,
    create_review,
    self_assess,
    grade_page,
    rate_review,
    regrade,
]
