"""Server-rendered peer-review pages (collected by agora.app). Thin: peerreview.service rules.

Learners: the assignment (phase, deadlines, own submission), calibration with feedback, "review
next", own grade with confidence and the reviews received. Staff: the assignment editor with a
rubric builder, the progress dashboard, the doubtful-grades queue with reviews side by side.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.errors import BadRequest, NotFound
from agora.sessions import Principal, token_from
from peerreview import schemas as s
from peerreview import service

web.register_templates("peerreview", Path(__file__).parent / "templates")

C = "/courses/{course_id:int}/assignments"
A = C + "/{assignment_id:int}"
MAX_CRITERIA = 20
MAX_OPTIONS = 10


def assignment_url(course_id: int, assignment_id: int) -> str:
    return f"{web.PAGE_PREFIX}/courses/{course_id}/assignments/{assignment_id}"


async def _shared(db, principal: Principal, request: Request) -> dict:
    shared = await web.page_context(db, principal, token_from(request) or "", "assignments")
    shared["fragment"] = web.is_fragment_request(request)
    return shared


def _fragment(template: str, **context) -> Response:
    return web.html_response(web.render(template, **context))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


def _convert(raw: dict, struct: type):
    try:
        return msgspec.convert(raw, struct, strict=False)
    except msgspec.ValidationError as error:
        raise BadRequest(str(error)) from None


# ---- the assignment page: what the launch shows for an assignment target ----------------------


async def assignment_view(db, principal: Principal, assignment_id) -> tuple[str, dict]:
    assignment_id = int(assignment_id)
    a = await service.get_assignment(db, principal, assignment_id)
    url = assignment_url(principal.course_id, assignment_id)
    context = {"a": a, "url": url, "page_url": url, "phases": s.PHASES}
    if principal.is_staff:
        context |= await _dashboard(db, principal, a)
        return "peerreview/dashboard.html", context
    mine = await service.list_submissions(db, principal, assignment_id, None, 1)
    calibration = await service.calibration_state(db, principal, assignment_id)
    grades = await service.list_grades(db, principal, assignment_id, None, 1, doubtful=False)
    context |= {
        "submission": mine.items[0] if mine.items else None,
        "calibration": calibration,
        "grade": grades.items[0] if grades.items else None,
    }
    return "peerreview/assignment.html", context


async def _dashboard(db, principal: Principal, a: s.AssignmentRead) -> dict:
    submissions = await service.list_submissions(db, principal, a.id, None, 100)
    waiting = await service.waiting(db, principal, a.id, None, 50)
    doubtful = await service.list_grades(db, principal, a.id, None, 50, doubtful=True)
    grades = await service.list_grades(db, principal, a.id, None, 100, doubtful=False)
    calibration = await service.calibration_state(db, principal, a.id)
    passback = await service.passback_status(db, principal, a.id) if a.phase == "released" else None
    return {
        "submissions": submissions,
        "waiting": waiting,
        "doubtful": doubtful,
        "grades": grades,
        "calibration": calibration,
        "passback": passback,
    }


async def assignments_view(db, principal: Principal, _target=None) -> tuple[str, dict]:
    page = await service.list_assignments(db, principal, principal.course_id, None, 100)
    url = f"{web.PAGE_PREFIX}/courses/{principal.course_id}/assignments"
    return "peerreview/list.html", {"assignments": page, "page_url": url}


async def _assignment_target(db, principal: Principal, assignment_id):
    if assignment_id is None:
        return await assignments_view(db, principal)
    return await assignment_view(db, principal, assignment_id)


web.register_target("assignment", _assignment_target)


async def _page(request, db, principal, view: tuple[str, dict], **extra) -> Response:
    template, context = view
    return await web.render_page(
        request, db, principal, template, section="assignments", **(context | extra)
    )


@get(C)
async def assignments_page(
    request: Request, course_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> Response:
    principal.require_course(course_id)
    return await _page(request, db, principal, await assignments_view(db, principal))


@get(A)
async def assignment_page(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    return await _page(request, db, principal, await assignment_view(db, principal, assignment_id))


# ---- learner actions --------------------------------------------------------------------------


@post(A + "/submission", status_code=200)
async def submit(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await _form(request)
    data = _convert({"body": form.get("body", "")}, s.SubmissionWrite)
    await service.submit(db, principal, assignment_id, data)
    view = await assignment_view(db, principal, assignment_id)
    return await _page(request, db, principal, view, fragment=False, saved=True)


@post(A + "/calibration", status_code=200)
async def calibrate(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    a = await service.get_assignment(db, principal, assignment_id)
    form = await _form(request)
    answer = _convert(
        {"example_id": form.get("example_id"), "choices": _choices(form, a)}, s.CalibrationAnswer
    )
    result = await service.answer_calibration(db, principal, assignment_id, answer)
    view = await assignment_view(db, principal, assignment_id)
    return await _page(request, db, principal, view, fragment=False, calibration_result=result)


def _choices(form: dict, a: s.AssignmentRead) -> list[int]:
    choices = []
    for i, criterion in enumerate(a.rubric):
        value = form.get(f"c{i}")
        if value is None or not value.isdigit() or int(value) >= len(criterion.options):
            raise BadRequest(f"choose an option for “{criterion.name}”")
        choices.append(int(value))
    return choices


@post(A + "/review/next", status_code=200)
async def review_next(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    """A POST: it leases a submission (FOR UPDATE SKIP LOCKED needs the request's transaction)."""
    principal.require_course(course_id)
    a = await service.get_assignment(db, principal, assignment_id)
    task = await service.next_review(db, principal, assignment_id)
    url = assignment_url(course_id, assignment_id)
    return await web.render_page(
        request, db, principal, "peerreview/review.html", section="assignments",
        a=a, task=task, url=url, fragment=False,
    )  # fmt: skip


@post(A + "/reviews", status_code=200)
async def create_review(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    a = await service.get_assignment(db, principal, assignment_id)
    form = await _form(request)
    data = _convert(
        {
            "allocation_id": form.get("allocation_id"),
            "choices": _choices(form, a),
            "criterion_comments": [form.get(f"comment{i}", "") for i in range(len(a.rubric))],
            "comment": form.get("comment", ""),
        },
        s.ReviewCreate,
    )
    await service.create_review(db, principal, assignment_id, data)
    view = await assignment_view(db, principal, assignment_id)
    return await _page(request, db, principal, view, fragment=False, reviewed=True)


@get(A + "/grade")
async def grade_page(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    a = await service.get_assignment(db, principal, assignment_id)
    mine = await service.list_submissions(db, principal, assignment_id, None, 1)
    if not mine.items:
        raise NotFound("you have no submission in this assignment")
    submission = mine.items[0]
    grades = await service.list_grades(db, principal, assignment_id, None, 1, doubtful=False)
    if not grades.items:
        raise NotFound("your grade is not released yet")
    reviews = await service.reviews_of_submission(db, principal, submission.id, None, 50)
    return await web.render_page(
        request, db, principal, "peerreview/grade.html", section="assignments", a=a,
        grade=grades.items[0], reviews=reviews, submission=submission,
        url=assignment_url(course_id, assignment_id),
    )  # fmt: skip


@post("/courses/{course_id:int}/reviews/{review_id:int}/helpfulness", status_code=200)
async def rate_review(
    request: Request,
    course_id: FromPath[int],
    review_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await _form(request)
    rating = _convert({"rating": form.get("rating")}, s.Helpfulness).rating
    review = await service.review_feedback(db, principal, review_id, helpfulness=rating)
    shared = await _shared(db, principal, request)
    return _fragment("peerreview/_helpfulness.html", **shared, review=review)


@post("/courses/{course_id:int}/submissions/{submission_id:int}/regrade", status_code=200)
async def regrade(
    request: Request,
    course_id: FromPath[int],
    submission_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await _form(request)
    data = _convert({"reason": form.get("reason", "")}, s.RegradeCreate)
    await service.request_regrade(db, principal, submission_id, data)
    shared = await _shared(db, principal, request)
    return _fragment("peerreview/_regrade_sent.html", **shared)


# ---- instructor: editor with rubric builder, phases, queue ------------------------------------


def _rubric_from_form(form: dict) -> list[dict]:
    """Criteria from the builder: crit-N-name, crit-N-description, crit-N-options (one option per
    line, "label = points"), crit-N-comments."""
    criteria = []
    for i in range(MAX_CRITERIA):
        name = form.get(f"crit-{i}-name", "").strip()
        if not name:
            continue
        options = []
        for line in form.get(f"crit-{i}-options", "").splitlines()[:MAX_OPTIONS]:
            if not line.strip():
                continue
            label, sep, points = line.rpartition("=")
            try:
                value = float(points.strip().replace(",", "."))
            except ValueError:
                raise BadRequest(
                    f"“{line.strip()}”: write each option as “label = points”"
                ) from None
            if not sep or not label.strip():
                raise BadRequest(f"“{line.strip()}”: write each option as “label = points”")
            options.append({"label": label.strip(), "points": value})
        criteria.append(
            {
                "name": name,
                "description": form.get(f"crit-{i}-description", "").strip(),
                "options": options,
                "comments": form.get(f"crit-{i}-comments") in ("1", "on", "true"),
            }
        )
    return criteria


def _deadline(value: str | None) -> datetime | None:
    """A datetime-local field, read as UTC (the pages show UTC too)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"not a date and time: {value}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _assignment_fields(form: dict) -> dict:
    raw = {
        "title": form.get("title", "").strip(),
        "prompt": form.get("prompt", ""),
        "rubric": _rubric_from_form(form),
        "submission_deadline": _deadline(form.get("submission_deadline")),
        "review_deadline": _deadline(form.get("review_deadline")),
    }
    for field in ("reviews_per_submission", "reviews_required", "calibration_required"):
        if form.get(field, "") != "":
            raw[field] = form[field]
    for field in ("allocation_mode", "grading_method"):
        if form.get(field):
            raw[field] = form[field]
    return raw


def _editor_context(a: s.AssignmentRead | None) -> dict:
    rubric = a.rubric if a else []
    rows = [
        {
            "name": c.name,
            "description": c.description,
            "comments": c.comments,
            "options": "\n".join(f"{o.label} = {o.points:g}" for o in c.options),
        }
        for c in rubric
    ] or [{"name": "", "description": "", "comments": False, "options": ""}]
    return {"a": a, "criteria": rows}


@get(C + "/new")
async def new_assignment_page(
    request: Request, course_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> Response:
    principal.require_course(course_id)
    service.require_instructor(principal)
    return await web.render_page(
        request, db, principal, "peerreview/editor.html", section="assignments",
        **_editor_context(None),
    )  # fmt: skip


@get(A + "/edit")
async def edit_assignment_page(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    service.require_instructor(principal)
    a = await service.get_assignment(db, principal, assignment_id)
    return await web.render_page(
        request, db, principal, "peerreview/editor.html", section="assignments",
        **_editor_context(a),
    )  # fmt: skip


@get(C + "/criterion")
async def criterion_row(
    request: Request,
    course_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    index: FromQuery[int] = 1,
) -> Response:
    """One more criterion for the rubric builder."""
    principal.require_course(course_id)
    if not 0 <= index < MAX_CRITERIA:
        raise BadRequest(f"a rubric has at most {MAX_CRITERIA} criteria")
    shared = await _shared(db, principal, request)
    row = {"name": "", "description": "", "comments": False, "options": ""}
    return _fragment("peerreview/_criterion.html", **shared, i=index, c=row)


@post(C, status_code=200)
async def create_assignment(
    request: Request, course_id: FromPath[int], db: Db, principal: CurrentPrincipal
) -> Response:
    principal.require_course(course_id)
    data = _convert(_assignment_fields(await _form(request)), s.AssignmentCreate)
    a = await service.create_assignment(db, principal, course_id, data)
    response = await _page(
        request, db, principal, await assignment_view(db, principal, a.id), fragment=False
    )
    response.headers["HX-Push-Url"] = assignment_url(course_id, a.id)
    return response


@post(A + "/edit", status_code=200)
async def update_assignment(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    data = _convert(_assignment_fields(await _form(request)), s.AssignmentUpdate)
    await service.update_assignment(db, principal, assignment_id, data)
    response = await _page(
        request, db, principal, await assignment_view(db, principal, assignment_id),
        fragment=False, saved=True,
    )  # fmt: skip
    response.headers["HX-Push-Url"] = assignment_url(course_id, assignment_id)
    return response


async def _staff_action(request, db, principal, course_id, assignment_id, action) -> Response:
    principal.require_course(course_id)
    await action()
    view = await assignment_view(db, principal, assignment_id)
    return await _page(request, db, principal, view, fragment=False, saved=True)


@post(A + "/phase", status_code=200)
async def change_phase(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    form = await _form(request)
    phase = _convert({"phase": form.get("phase")}, s.PhaseChange).phase
    return await _staff_action(
        request, db, principal, course_id, assignment_id,
        lambda: service.change_phase(db, principal, assignment_id, phase),
    )  # fmt: skip


@post(A + "/allocate", status_code=200)
async def allocate(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    return await _staff_action(
        request, db, principal, course_id, assignment_id,
        lambda: service.request_batch_allocation(db, principal, assignment_id),
    )  # fmt: skip


@post(A + "/grade", status_code=200)
async def grade_now(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    return await _staff_action(
        request, db, principal, course_id, assignment_id,
        lambda: service.request_grading(db, principal, assignment_id),
    )  # fmt: skip


@post(A + "/examples", status_code=200)
async def add_example(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    a = await service.get_assignment(db, principal, assignment_id)
    form = await _form(request)
    data = _convert(
        {"body": form.get("body", ""), "choices": _choices(form, a),
         "explanation": form.get("explanation", "")},
        s.ExampleCreate,
    )  # fmt: skip
    return await _staff_action(
        request, db, principal, course_id, assignment_id,
        lambda: service.add_example(db, principal, assignment_id, data),
    )  # fmt: skip


@get(A + "/doubtful")
async def doubtful_page(
    request: Request,
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
    cursor: FromQuery[str | None] = None,
) -> Response:
    principal.require_course(course_id)
    service.require_staff(principal)
    a = await service.get_assignment(db, principal, assignment_id)
    queue = await service.list_grades(db, principal, assignment_id, cursor, 10, doubtful=True)
    items = []
    for grade in queue.items:
        submission = await service.get_submission(db, principal, grade.id)
        reviews = await service.reviews_of_submission(db, principal, grade.id, None, 20)
        items.append({"grade": grade, "submission": submission, "reviews": reviews.items})
    regrades = await service.list_regrades(db, principal, assignment_id, None, 50)
    return await web.render_page(
        request, db, principal, "peerreview/doubtful.html", section="assignments", a=a,
        items=items, next_cursor=queue.next_cursor, regrades=regrades,
        url=assignment_url(course_id, assignment_id),
    )  # fmt: skip


@post("/courses/{course_id:int}/grades/{submission_id:int}/override", status_code=200)
async def override(
    request: Request,
    course_id: FromPath[int],
    submission_id: FromPath[int],
    db: Db,
    principal: CurrentPrincipal,
) -> Response:
    principal.require_course(course_id)
    form = await _form(request)
    score = form.get("score", "").strip()
    data = _convert(
        {"score": score.replace(",", ".") if score else None, "reason": form.get("reason", "")},
        s.Override,
    )
    grade = await service.override_grade(db, principal, submission_id, data)
    shared = await _shared(db, principal, request)
    return _fragment("peerreview/_override_done.html", **shared, grade=grade)


ROUTES: list = [
    web.page_router(
        assignments_page,
        new_assignment_page,
        criterion_row,
        create_assignment,
        assignment_page,
        edit_assignment_page,
        update_assignment,
        submit,
        calibrate,
        review_next,
        create_review,
        grade_page,
        rate_review,
        regrade,
        change_phase,
        allocate,
        grade_now,
        add_example,
        doubtful_page,
        override,
    )  # fmt: skip
]
