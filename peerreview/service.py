"""Peer-review rules: who may do what in which phase, allocation, reviews, grading, release."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime

import asyncpg
import msgspec
import numpy as np

from agora.errors import BadRequest, Conflict, Forbidden, Gone, NotFound, Unprocessable
from agora.markup import clean_text, render_markdown
from agora.outbox import enqueue
from agora.sessions import Principal
from peerreview import queries
from peerreview import schemas as s
from peerreview.allocation import AllocationError, allocate_individual, allocate_teams
from peerreview.grading import DOUBT_SPREAD_SHARE, Calibration, Reviews, grade

MAX_PAGE = 200
PASSBACK_PAGE = 1000


# ---- small helpers ------------------------------------------------------------------------------


def encode_cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the cursor is not one this API handed out") from None
    if not isinstance(values, list) or len(values) != arity:
        raise BadRequest("the cursor is not one this API handed out")
    return values


def page_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
    return limit


def now() -> datetime:
    return datetime.now(UTC)


def owner_key(user_id: int, team: str | None, team_submissions: bool) -> str:
    return f"t:{team}" if team_submissions and team else f"u:{user_id}"


def rubric_points(rubric: list[dict]) -> tuple[list[float], list[float]]:
    """Lowest and highest points per criterion."""
    lows = [min(o["points"] for o in c["options"]) for c in rubric]
    highs = [max(o["points"] for o in c["options"]) for c in rubric]
    return lows, highs


def score_choices(rubric: list[dict], choices: list[int]) -> tuple[list[float], float]:
    if len(choices) != len(rubric):
        raise Unprocessable(f"choose one option for each of the {len(rubric)} criteria")
    scores = []
    for i, (criterion, choice) in enumerate(zip(rubric, choices, strict=True)):
        if choice >= len(criterion["options"]):
            raise Unprocessable(f"criterion {i + 1} has only {len(criterion['options'])} options")
        scores.append(float(criterion["options"][choice]["points"]))
    return scores, float(sum(scores))


def check_comments(rubric: list[dict], comments: list[str]) -> list[str]:
    if len(comments) > len(rubric):
        raise Unprocessable("more criterion comments than criteria")
    return [clean_text(c) for c in comments] + [""] * (len(rubric) - len(comments))


def assignment_read(row) -> s.AssignmentRead:
    return msgspec.convert(dict(row), s.AssignmentRead)


async def load_assignment(conn, principal: Principal, assignment_id: int, *, for_update=False):
    row = await queries.select_assignment(
        conn, principal.course_id, assignment_id, for_update=for_update
    )
    if row is None or (row["phase"] == "draft" and not principal.is_staff):
        raise NotFound("no such assignment")
    return row


def require_instructor(principal: Principal) -> None:
    if not principal.is_instructor:
        raise Forbidden("only instructors may do this")


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("only instructors and teaching assistants may do this")


def past(deadline: datetime | None) -> bool:
    return deadline is not None and deadline <= now()


# ---- assignments --------------------------------------------------------------------------------


def _rubric(data: list[s.Criterion]) -> tuple[list[dict], float]:
    rubric = [
        {
            "name": clean_text(c.name),
            "description": clean_text(c.description),
            "comments": c.comments,
            "options": [{"label": clean_text(o.label), "points": o.points} for o in c.options],
        }
        for c in data
    ]
    return rubric, float(sum(rubric_points(rubric)[1]))


async def create_assignment(
    conn: asyncpg.Connection, principal: Principal, course_id: int, data: s.AssignmentCreate
) -> s.AssignmentRead:
    principal.require_course(course_id)
    require_instructor(principal)
    rubric, points = _rubric(data.rubric)
    if points <= 0:
        raise Unprocessable("the rubric must be worth more than 0 points")
    _check_deadlines(data.submission_deadline, data.review_deadline)
    row = await queries.insert_assignment(
        conn,
        course_id,
        {
            "title": clean_text(data.title) or "Untitled",
            "prompt": data.prompt,
            "prompt_html": render_markdown(data.prompt),
            "rubric": rubric,
            "points_possible": points,
            "reviews_per_submission": data.reviews_per_submission,
            "reviews_required": (
                data.reviews_per_submission
                if data.reviews_required is None
                else data.reviews_required
            ),
            "calibration_required": data.calibration_required,
            "submission_deadline": data.submission_deadline,
            "review_deadline": data.review_deadline,
            "allocation_mode": data.allocation_mode,
            "grading_method": data.grading_method,
            "team_submissions": data.team_submissions,
            "lease_seconds": data.lease_seconds,
            "extra_reviews": data.extra_reviews,
            "created_by": principal.user_id,
        },
    )
    return assignment_read(row)


def _check_deadlines(submission: datetime | None, review: datetime | None) -> None:
    for value in (submission, review):
        if value is not None and value.tzinfo is None:
            raise BadRequest("deadlines need a time zone, e.g. 2030-01-31T23:59:00Z")
    if submission and review and review <= submission:
        raise Unprocessable("the review deadline must come after the submission deadline")


async def list_assignments(
    conn, principal: Principal, course_id: int, cursor: str | None, limit: int
) -> s.AssignmentList:
    principal.require_course(course_id)
    after = decode_cursor(cursor, 1)
    rows = await queries.select_assignments(
        conn,
        course_id,
        after_id=int(after[0]) if after else 0,
        limit=page_limit(limit) + 1,
        include_drafts=principal.is_staff,
    )
    items = [assignment_read(r) for r in rows[:limit]]
    return s.AssignmentList(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


async def get_assignment(conn, principal: Principal, assignment_id: int) -> s.AssignmentRead:
    return assignment_read(await load_assignment(conn, principal, assignment_id))


async def update_assignment(
    conn, principal: Principal, assignment_id: int, data: s.AssignmentUpdate
) -> s.AssignmentRead:
    require_instructor(principal)
    row = await load_assignment(conn, principal, assignment_id, for_update=True)
    values = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not None}
    if "title" in values:
        values["title"] = clean_text(values["title"]) or row["title"]
    if "prompt" in values:
        values["prompt_html"] = render_markdown(values["prompt"])
    if "rubric" in values or "reviews_per_submission" in values or "allocation_mode" in values:
        if row["phase"] not in ("draft", "submission") or row["allocated_at"] is not None:
            raise Conflict("the rubric, k and allocation mode are fixed once reviewing starts")
    if "rubric" in values:
        values["rubric"], values["points_possible"] = _rubric(data.rubric)
    _check_deadlines(
        values.get("submission_deadline", row["submission_deadline"]),
        values.get("review_deadline", row["review_deadline"]),
    )
    updated = await queries.update_assignment(conn, principal.course_id, assignment_id, values)
    return assignment_read(updated)


async def change_phase(
    conn, principal: Principal, assignment_id: int, phase: str
) -> s.AssignmentRead:
    """Phases only move forward; each move queues its side effect in the same transaction."""
    require_instructor(principal)
    row = await load_assignment(conn, principal, assignment_id, for_update=True)
    current, target = s.PHASES.index(row["phase"]), s.PHASES.index(phase)
    if target == current:
        return assignment_read(row)
    if target < current:
        raise Conflict(f"the assignment is already in phase {row['phase']}; phases only advance")
    course_id = principal.course_id
    values: dict = {"phase": phase}
    if phase == "released":
        if row["graded_at"] is None:
            raise Conflict("grade the assignment before releasing it")
        values["released_at"] = now()
        await queries.release_grades(conn, course_id, assignment_id)
        await enqueue(conn, "peerreview_passback", course_id, assignment_id, course_id=course_id)
    elif phase == "grading":
        await enqueue(conn, "peerreview_grade", course_id, assignment_id, course_id=course_id)
    elif phase == "review" and row["allocation_mode"] == "batch":
        # Refuse now rather than let the job fail: batch needs k+1 submissions at least.
        k = row["reviews_per_submission"]
        count = await queries.count_submissions(conn, course_id, assignment_id)
        if count < k + 1:
            raise Conflict(
                f"batch allocation needs at least {k + 1} submissions for {k} reviews each; "
                f"there are {count}"
            )
        await enqueue(conn, "peerreview_allocate", course_id, assignment_id, course_id=course_id)
    return assignment_read(await queries.update_assignment(conn, course_id, assignment_id, values))


async def set_teams(conn, principal: Principal, assignment_id: int, data: s.Teams) -> dict:
    require_instructor(principal)
    row = await load_assignment(conn, principal, assignment_id, for_update=True)
    if row["allocated_at"] is not None:
        raise Conflict("teams are fixed once reviews are allocated")
    users, teams = [], []
    for team, members in data.teams.items():
        for user_id in members:
            users.append(user_id)
            teams.append(clean_text(team) or team)
    if len(set(users)) != len(users):
        raise Unprocessable("a learner can be in one team only")
    learners = set(await queries.select_learners(conn, principal.course_id))
    strangers = sorted(set(users) - learners)
    if strangers:
        raise Unprocessable(f"not learners of this course: {strangers[:10]}")
    await queries.replace_teams(conn, principal.course_id, assignment_id, users, teams)
    return {"teams": len(data.teams), "members": len(users)}


# ---- submissions --------------------------------------------------------------------------------


async def _my_owner_key(conn, principal: Principal, row) -> tuple[str, str | None]:
    team = await queries.select_team(conn, principal.course_id, row["id"], principal.user_id)
    if row["team_submissions"] and team is None:
        raise Conflict("this is team work and you are in no team; ask your instructor")
    return owner_key(principal.user_id, team, row["team_submissions"]), team


def submission_read(row, *, show_author: bool, show_source: bool) -> s.SubmissionRead:
    return s.SubmissionRead(
        id=row["id"],
        assignment_id=row["assignment_id"],
        author_id=row["author_id"] if show_author else None,
        team=row["team"] if show_author else None,
        body_html=row["body_html"],
        body=row["body"] if show_source else None,
        reviews_done=row["reviews_done"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def submit(
    conn, principal: Principal, assignment_id: int, data: s.SubmissionWrite
) -> tuple[s.SubmissionRead, bool]:
    """Create or replace the learner's (or team's) submission while submissions are open.

    Self-paced (dynamic) assignments keep accepting work during the review phase, so late
    submitters join the pool and get reviewed."""
    row = await load_assignment(conn, principal, assignment_id)
    if principal.is_staff:
        raise Forbidden("staff do not submit; add calibration examples instead")
    open_phases = (
        ("submission", "review") if row["allocation_mode"] == "dynamic" else ("submission",)
    )
    if row["phase"] not in open_phases or past(row["submission_deadline"]):
        raise Conflict("submissions are closed for this assignment")
    key, team = await _my_owner_key(conn, principal, row)
    if row["allocation_mode"] == "batch" and row["allocated_at"] is not None:
        raise Conflict("reviews are already allocated; submissions are closed")
    saved = await queries.upsert_submission(
        conn,
        principal.course_id,
        assignment_id,
        owner_key=key,
        author_id=principal.user_id,
        team=team if row["team_submissions"] else None,
        body=data.body,
        body_html=render_markdown(data.body),
    )
    return submission_read(saved, show_author=True, show_source=True), saved["created"]


async def _can_see_submission(conn, principal: Principal, sub) -> str:
    """'owner', 'staff', 'reviewer' or raise NotFound."""
    if principal.is_staff:
        return "staff"
    if sub["author_id"] == principal.user_id:
        return "owner"
    if sub["team"] is not None:
        mine = await queries.select_team(
            conn, principal.course_id, sub["assignment_id"], principal.user_id
        )
        if mine == sub["team"]:
            return "owner"
    allocated = await conn.fetchval(
        """SELECT 1 FROM pr_allocations WHERE course_id = $1 AND submission_id = $2
              AND reviewer_id = $3 AND state IN ('assigned', 'leased', 'completed')""",
        principal.course_id,
        sub["id"],
        principal.user_id,
    )
    if allocated:
        return "reviewer"
    raise NotFound("no such submission")


async def get_submission(conn, principal: Principal, submission_id: int) -> s.SubmissionRead:
    sub = await queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such submission")
    await load_assignment(conn, principal, sub["assignment_id"])
    access = await _can_see_submission(conn, principal, sub)
    return submission_read(
        sub, show_author=access in ("staff", "owner"), show_source=access == "owner"
    )


async def list_submissions(
    conn, principal: Principal, assignment_id: int, cursor: str | None, limit: int
) -> s.SubmissionList:
    row = await load_assignment(conn, principal, assignment_id)
    if not principal.is_staff:
        key, _ = await _my_owner_key(conn, principal, row)
        mine = await queries.select_submission_of_owner(
            conn, principal.course_id, assignment_id, key
        )
        items = [submission_read(mine, show_author=True, show_source=True)] if mine else []
        return s.SubmissionList(items=items, next_cursor=None)
    after = decode_cursor(cursor, 1)
    rows = await queries.select_submissions(
        conn,
        principal.course_id,
        assignment_id,
        after_id=int(after[0]) if after else 0,
        limit=page_limit(limit) + 1,
    )
    items = [submission_read(r, show_author=True, show_source=False) for r in rows[:limit]]
    return s.SubmissionList(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


# ---- calibration --------------------------------------------------------------------------------


def example_read(row, *, reveal: bool) -> s.ExampleRead:
    return s.ExampleRead(
        id=row["id"],
        body_html=row["body_html"],
        choices=list(row["choices"]) if reveal else None,
        scores=list(row["scores"]) if reveal else None,
        total=row["total"] if reveal else None,
        explanation=row["explanation"] if reveal else None,
    )


async def add_example(
    conn, principal: Principal, assignment_id: int, data: s.ExampleCreate
) -> s.ExampleRead:
    require_instructor(principal)
    row = await load_assignment(conn, principal, assignment_id)
    scores, total = score_choices(row["rubric"], data.choices)
    example = await queries.insert_example(
        conn,
        principal.course_id,
        assignment_id,
        data.body,
        render_markdown(data.body),
        data.choices,
        scores,
        total,
        clean_text(data.explanation),
    )
    return example_read(example, reveal=True)


async def calibration_state(conn, principal: Principal, assignment_id: int) -> s.CalibrationState:
    row = await load_assignment(conn, principal, assignment_id)
    examples = await queries.select_examples(conn, principal.course_id, assignment_id)
    required = min(row["calibration_required"], len(examples))
    if principal.is_staff:
        return s.CalibrationState(
            required=required,
            done=0,
            complete=True,
            next_example=None,
            examples=[example_read(e, reveal=True) for e in examples],
            mean_error=None,
        )
    answers = {
        a["example_id"]: a
        for a in await queries.select_answers(
            conn, principal.course_id, assignment_id, principal.user_id
        )
    }
    done = [e for e in examples if e["id"] in answers]
    todo = [e for e in examples if e["id"] not in answers]
    errors = [answers[e["id"]]["total"] - e["total"] for e in done]
    return s.CalibrationState(
        required=required,
        done=len(done),
        complete=len(done) >= required,
        next_example=example_read(todo[0], reveal=False) if todo else None,
        examples=[example_read(e, reveal=True) for e in done],
        mean_error=float(np.mean(errors)) if errors else None,
    )


async def answer_calibration(
    conn, principal: Principal, assignment_id: int, data: s.CalibrationAnswer
) -> s.CalibrationResult:
    row = await load_assignment(conn, principal, assignment_id)
    if principal.is_staff:
        raise Forbidden("calibration is for learners")
    if row["phase"] in ("draft", "released"):
        raise Conflict("calibration is not open")
    example = next(
        (
            e
            for e in await queries.select_examples(conn, principal.course_id, assignment_id)
            if e["id"] == data.example_id
        ),
        None,
    )
    if example is None:
        raise NotFound("no such calibration example")
    scores, total = score_choices(row["rubric"], data.choices)
    saved = await queries.insert_answer(
        conn,
        principal.course_id,
        assignment_id,
        example["id"],
        principal.user_id,
        data.choices,
        scores,
        total,
    )
    if saved is None:
        raise Conflict("you have already scored this example")
    return s.CalibrationResult(
        example=example_read(example, reveal=True),
        your_choices=data.choices,
        your_total=total,
        error=total - example["total"],
    )


# ---- allocation ---------------------------------------------------------------------------------


async def allocate_batch(conn, course_id: int, assignment_id: int) -> s.AllocationRun:
    """Allocate every submission to k reviewers at once. Safe to run twice: the second run sees
    `allocated_at` and returns what the first did."""
    row = await queries.select_assignment(conn, course_id, assignment_id, for_update=True)
    if row is None:
        raise NotFound("no such assignment")
    if row["allocated_at"] is not None:
        count = await queries.count_allocations(conn, course_id, assignment_id)
        return s.AllocationRun(
            assignment_id=assignment_id, seed=row["allocation_seed"], allocations=count, repaired=0
        )
    k = row["reviews_per_submission"]
    seed = secrets.randbits(62)
    units = await queries.select_submission_units(conn, course_id, assignment_id)
    sub_ids = np.array([u["id"] for u in units], dtype=np.int64)
    try:
        if row["team_submissions"]:
            members = await queries.select_team_reviewers(conn, course_id, assignment_id)
            sub_team = {u["team"]: i for i, u in enumerate(units)}
            labels = np.array(
                [sub_team.get(m["team"], len(units) + i) for i, m in enumerate(members)],
                dtype=np.int64,
            )
            result = allocate_teams(labels, len(units), k, seed)
            reviewer_ids = np.array([m["user_id"] for m in members], dtype=np.int64)
        else:
            team_of = [u["team"] for u in units]
            names = {t: i for i, t in enumerate(sorted({t for t in team_of if t is not None}))}
            groups = np.array(
                [names[t] if t is not None else len(names) + i for i, t in enumerate(team_of)],
                dtype=np.int64,
            )
            result = allocate_individual(len(units), k, seed, groups=groups if names else None)
            reviewer_ids = np.array([u["author_id"] for u in units], dtype=np.int64)
    except AllocationError as error:
        raise Conflict(f"cannot allocate: {error}") from None
    await queries.insert_allocations(
        conn,
        course_id,
        assignment_id,
        reviewer_ids[result.reviewer].tolist(),
        sub_ids[result.submission].tolist(),
        "batch",
    )
    await queries.update_assignment(
        conn, course_id, assignment_id, {"allocation_seed": seed, "allocated_at": now()}
    )
    return s.AllocationRun(
        assignment_id=assignment_id,
        seed=seed,
        allocations=int(result.reviewer.size),
        repaired=result.repaired,
    )


async def request_batch_allocation(conn, principal: Principal, assignment_id: int) -> dict:
    require_instructor(principal)
    row = await load_assignment(conn, principal, assignment_id)
    if row["allocation_mode"] != "batch":
        raise Conflict("this assignment allocates reviews dynamically")
    if row["phase"] not in ("submission", "review"):
        raise Conflict("allocate once submissions are in (submission or review phase)")
    await enqueue(
        conn,
        "peerreview_allocate",
        principal.course_id,
        assignment_id,
        course_id=principal.course_id,
    )
    return {"queued": True}


async def _excluded_owners(conn, principal: Principal, row, my_key: str, team) -> list[str]:
    keys = [my_key]
    if team is not None:
        keys += [
            f"u:{uid}"
            for uid in await queries.select_team_members(conn, principal.course_id, row["id"], team)
        ]
        keys.append(f"t:{team}")
    return keys


async def next_review(conn, principal: Principal, assignment_id: int) -> s.ReviewTask:
    """Hand the reviewer their open allocation, or lease the least-reviewed submission."""
    row = await load_assignment(conn, principal, assignment_id)
    course_id = principal.course_id
    if principal.is_staff:
        raise Forbidden("staff score submissions directly; peer reviews are for learners")
    if row["phase"] != "review" or past(row["review_deadline"]):
        return s.ReviewTask(available=False, reason="reviewing is not open")
    if row["allocation_mode"] == "batch" and row["allocated_at"] is None:
        # leasing now would race the batch job for the same pairs
        return s.ReviewTask(available=False, reason="reviews are being allocated; try again soon")
    key, team = await _my_owner_key(conn, principal, row)
    state = await queries.select_reviewer_state(
        conn, course_id, assignment_id, principal.user_id, key
    )
    if state["submission_id"] is None:
        return s.ReviewTask(available=False, reason="submit your own work first")
    if state["answered"] < min(row["calibration_required"], state["examples"]):
        return s.ReviewTask(available=False, reason="calibration first")
    done = state["done"]
    await queries.expire_leases(conn, course_id, assignment_id)
    current = await queries.select_open_allocation(
        conn, course_id, assignment_id, principal.user_id
    )
    if current is None and done >= row["reviews_required"]:
        return s.ReviewTask(
            available=False,
            reason="you have done the reviews required",
            reviews_done=done,
            reviews_required=row["reviews_required"],
        )
    if current is None:
        excluded = await _excluded_owners(conn, principal, row, key, team)
        picked = await queries.pick_submission(
            conn,
            course_id,
            assignment_id,
            reviewer_id=principal.user_id,
            excluded_owners=excluded,
            k=row["reviews_per_submission"],
            extra=row["extra_reviews"],
        )
        if picked is None:
            return s.ReviewTask(
                available=False,
                reason="nothing to review yet; try again soon",
                reviews_done=done,
                reviews_required=row["reviews_required"],
            )
        current = await queries.insert_lease(
            conn, course_id, assignment_id, picked, principal.user_id, row["lease_seconds"]
        )
        if current is None:  # a concurrent request of this reviewer leased first
            current = await queries.select_open_allocation(
                conn, course_id, assignment_id, principal.user_id
            )
    sub = await queries.select_submission(conn, course_id, current["submission_id"])
    return s.ReviewTask(
        available=True,
        allocation_id=current["id"],
        submission=submission_read(sub, show_author=False, show_source=False),
        lease_expires_at=current["lease_expires_at"],
        reviews_done=done,
        reviews_required=row["reviews_required"],
    )


async def waiting(
    conn, principal: Principal, assignment_id: int, cursor: str | None, limit: int
) -> s.WaitingList:
    require_staff(principal)
    row = await load_assignment(conn, principal, assignment_id)
    after = decode_cursor(cursor, 2)
    rows = await queries.select_waiting(
        conn,
        principal.course_id,
        assignment_id,
        row["reviews_per_submission"],
        after=(datetime.fromisoformat(after[0]), int(after[1])) if after else None,
        limit=page_limit(limit) + 1,
    )
    items = [
        s.Waiting(
            submission_id=r["id"],
            author_id=r["author_id"],
            team=r["team"],
            reviews_done=r["reviews_done"],
            review_load=r["review_load"],
            waiting_since=r["created_at"],
        )
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(items[-1].waiting_since.isoformat(), items[-1].submission_id)
    return s.WaitingList(items=items, next_cursor=next_cursor)


async def assign_manually(
    conn, principal: Principal, assignment_id: int, data: s.ManualAllocation
) -> s.AllocationRead:
    require_staff(principal)
    row = await load_assignment(conn, principal, assignment_id)
    course_id = principal.course_id
    sub = await queries.select_submission(conn, course_id, data.submission_id)
    if sub is None or sub["assignment_id"] != assignment_id:
        raise NotFound("no such submission in this assignment")
    if data.reviewer_id not in set(await queries.select_learners(conn, course_id)):
        raise Unprocessable("the reviewer is not a learner of this course")
    team = await queries.select_team(conn, course_id, assignment_id, data.reviewer_id)
    if sub["author_id"] == data.reviewer_id or (team is not None and team == sub["team"]):
        raise Unprocessable("learners never review their own or a teammate's work")
    if team is not None and sub["team"] is None:
        author_team = await queries.select_team(conn, course_id, assignment_id, sub["author_id"])
        if author_team == team:
            raise Unprocessable("learners never review their own or a teammate's work")
    inserted = await queries.insert_allocations(
        conn, course_id, row["id"], [data.reviewer_id], [data.submission_id], "manual"
    )
    if not inserted:
        raise Conflict("this learner already has (or did) this review")
    allocation = await conn.fetchrow(
        """SELECT id, assignment_id, submission_id, reviewer_id, source, state,
                  lease_expires_at, created_at
             FROM pr_allocations WHERE course_id = $1 AND assignment_id = $2
              AND reviewer_id = $3 AND submission_id = $4 AND state = 'assigned'""",
        course_id,
        assignment_id,
        data.reviewer_id,
        data.submission_id,
    )
    return msgspec.convert(dict(allocation), s.AllocationRead)


async def cancel_allocation(conn, principal: Principal, allocation_id: int) -> None:
    require_staff(principal)
    if await queries.cancel_allocation(conn, principal.course_id, allocation_id) is None:
        raise NotFound("no live allocation with this id")


# ---- reviews ------------------------------------------------------------------------------------


def review_read(row, *, show_reviewer: bool) -> s.ReviewRead:
    return s.ReviewRead(
        id=row["id"],
        assignment_id=row["assignment_id"],
        submission_id=row["submission_id"],
        reviewer_id=row["reviewer_id"] if show_reviewer else None,
        by_staff=row["by_staff"],
        choices=list(row["choices"]),
        scores=list(row["scores"]),
        total=row["total"],
        criterion_comments=list(row["criterion_comments"]),
        comment_html=row["comment_html"],
        helpfulness=row["helpfulness"],
        flagged=row["flagged"],
        created_at=row["created_at"],
    )


async def create_review(
    conn, principal: Principal, assignment_id: int, data: s.ReviewCreate
) -> s.ReviewRead:
    row = await load_assignment(conn, principal, assignment_id)
    course_id = principal.course_id
    if row["phase"] != "review" or past(row["review_deadline"]):
        raise Conflict("reviewing is not open")
    scores, total = score_choices(row["rubric"], data.choices)
    allocation = await queries.complete_allocation(
        conn, course_id, assignment_id, data.allocation_id, principal.user_id
    )
    if allocation is None:  # find out why, on this rare path only
        found = await queries.select_allocation(conn, course_id, data.allocation_id)
        if (
            found is None
            or found["reviewer_id"] != principal.user_id
            or found["assignment_id"] != assignment_id
        ):
            raise NotFound("no such allocation of yours")
        if found["state"] == "completed":
            raise Conflict("this review is already submitted; edit it instead")
        raise Gone("this lease expired and went back to the pool; ask for the next submission")
    review = await queries.insert_review(
        conn,
        course_id,
        {
            "assignment_id": assignment_id,
            "submission_id": allocation["submission_id"],
            "reviewer_id": principal.user_id,
            "allocation_id": allocation["id"],
            "by_staff": False,
            "choices": data.choices,
            "scores": scores,
            "total": total,
            "criterion_comments": check_comments(row["rubric"], data.criterion_comments),
            "comment": data.comment,
            "comment_html": render_markdown(data.comment) if data.comment else "",
        },
    )
    low, high = rubric_points(row["rubric"])
    await queries.mark_reviewed(
        conn,
        course_id,
        assignment_id,
        allocation["submission_id"],
        k=row["reviews_per_submission"],
        max_spread=DOUBT_SPREAD_SHARE * (sum(high) - sum(low)),
    )
    return review_read(review, show_reviewer=True)


async def staff_score(
    conn, principal: Principal, submission_id: int, data: s.StaffScore
) -> s.ReviewRead:
    """An instructor's or TA's own scoring: an anchor (fixed true score) for the grader model."""
    require_staff(principal)
    sub = await queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such submission")
    row = await load_assignment(conn, principal, sub["assignment_id"])
    scores, total = score_choices(row["rubric"], data.choices)
    review = await queries.insert_review(
        conn,
        principal.course_id,
        {
            "assignment_id": row["id"],
            "submission_id": submission_id,
            "reviewer_id": principal.user_id,
            "allocation_id": None,
            "by_staff": True,
            "choices": data.choices,
            "scores": scores,
            "total": total,
            "criterion_comments": [""] * len(row["rubric"]),
            "comment": data.comment,
            "comment_html": render_markdown(data.comment) if data.comment else "",
        },
    )
    return review_read(review, show_reviewer=True)


async def _review_access(conn, principal: Principal, review) -> tuple[str, dict]:
    sub = await queries.select_submission(conn, principal.course_id, review["submission_id"])
    row = await load_assignment(conn, principal, review["assignment_id"])
    if principal.is_staff:
        return "staff", row
    if review["reviewer_id"] == principal.user_id:
        return "reviewer", row
    if row["phase"] == "released" and await _can_see_submission(conn, principal, sub) == "owner":
        return "author", row
    raise NotFound("no such review")


async def get_review(conn, principal: Principal, review_id: int) -> s.ReviewRead:
    review = await queries.select_review(conn, principal.course_id, review_id)
    if review is None:
        raise NotFound("no such review")
    access, _ = await _review_access(conn, principal, review)
    return review_read(review, show_reviewer=access != "author")


async def update_review(
    conn, principal: Principal, review_id: int, data: s.ReviewUpdate
) -> s.ReviewRead:
    review = await queries.select_review(conn, principal.course_id, review_id)
    if review is None or review["reviewer_id"] != principal.user_id:
        raise NotFound("no such review of yours")
    row = await load_assignment(conn, principal, review["assignment_id"])
    if row["phase"] != "review" or past(row["review_deadline"]):
        raise Conflict("reviews can be edited only while reviewing is open")
    choices = data.choices if data.choices is not None else list(review["choices"])
    scores, total = score_choices(row["rubric"], choices)
    comments = (
        check_comments(row["rubric"], data.criterion_comments)
        if data.criterion_comments is not None
        else list(review["criterion_comments"])
    )
    comment = data.comment if data.comment is not None else review["comment"]
    updated = await queries.update_review(
        conn,
        principal.course_id,
        review_id,
        {
            "choices": choices,
            "scores": scores,
            "total": total,
            "criterion_comments": comments,
            "comment": comment,
            "comment_html": render_markdown(comment) if comment else "",
        },
    )
    return review_read(updated, show_reviewer=True)


async def review_feedback(
    conn,
    principal: Principal,
    review_id: int,
    *,
    helpfulness: int | None = None,
    flag_reason: str | None = None,
) -> s.ReviewRead:
    """The author rates a review's helpfulness or flags it as abusive (left out of grading)."""
    review = await queries.select_review(conn, principal.course_id, review_id)
    if review is None:
        raise NotFound("no such review")
    access, _ = await _review_access(conn, principal, review)
    if access != "author":
        raise Forbidden("only the author of the reviewed work rates or flags its reviews")
    updated = await queries.set_review_feedback(
        conn,
        principal.course_id,
        review_id,
        helpfulness=helpfulness,
        flag_reason=clean_text(flag_reason) if flag_reason is not None else None,
    )
    return review_read(updated, show_reviewer=False)


async def reviews_of_submission(
    conn, principal: Principal, submission_id: int, cursor: str | None, limit: int
) -> s.ReviewList:
    sub = await queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such submission")
    row = await load_assignment(conn, principal, sub["assignment_id"])
    access = await _can_see_submission(conn, principal, sub)
    if access == "reviewer" or (access == "owner" and row["phase"] != "released"):
        raise NotFound("reviews are visible to the author once grades are released")
    after = decode_cursor(cursor, 1)
    rows = await queries.select_reviews_of_submission(
        conn,
        principal.course_id,
        row["id"],
        submission_id,
        after_id=int(after[0]) if after else 0,
        limit=page_limit(limit) + 1,
    )
    items = [review_read(r, show_reviewer=access == "staff") for r in rows[:limit]]
    return s.ReviewList(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


# ---- grading ------------------------------------------------------------------------------------


async def run_grading(conn, course_id: int, assignment_id: int) -> s.GradingRun:
    """Grade every submission of the assignment: one load, vectorised fits, one store."""
    row = await queries.select_assignment(conn, course_id, assignment_id, for_update=True)
    if row is None:
        raise NotFound("no such assignment")
    method = row["grading_method"]
    lows, highs = rubric_points(row["rubric"])
    n_criteria = len(lows)
    matrix = await queries.select_review_matrix(conn, course_id, assignment_id)
    sub_ids_all = np.array(matrix["submission"], dtype=np.int64)
    if sub_ids_all.size == 0:
        await queries.update_assignment(conn, course_id, assignment_id, {"graded_at": now()})
        return s.GradingRun(assignment_id=assignment_id, method=method, graded=0, doubtful=0)
    staff = np.array(matrix["by_staff"], dtype=bool)
    totals = np.array(matrix["total"], dtype=np.float64)
    scores = np.array(matrix["scores"], dtype=np.float64).reshape(-1, n_criteria)
    reviewer_all = np.array(matrix["reviewer"], dtype=np.int64)
    sub_ids, sub_index = np.unique(sub_ids_all, return_inverse=True)

    answers = await queries.select_all_answers(conn, course_id, assignment_id)
    c_users = np.array(answers["grader"], dtype=np.int64)
    peer = ~staff
    grader_ids, grader_index = np.unique(
        np.concatenate([reviewer_all[peer], c_users]), return_inverse=True
    )
    g_reviews = grader_index[: int(peer.sum())]
    g_calibration = grader_index[int(peer.sum()) :]
    c_total = np.array(answers["total"], dtype=np.float64)
    c_truth = np.array(answers["truth"], dtype=np.float64)
    c_scores = np.array(answers["scores"], dtype=np.float64).reshape(-1, n_criteria)
    c_truth_scores = np.array(answers["truth_scores"], dtype=np.float64).reshape(-1, n_criteria)

    def anchors_of(values: np.ndarray) -> dict[int, float]:
        # the latest staff score of each submission wins (rows are in id order)
        return {int(i): float(v) for i, v in zip(sub_index[staff], values[staff], strict=True)}

    def fit(values, lo, hi, c_given, c_ref):
        reviews = Reviews.of(
            sub_index[peer], g_reviews, values[peer], sub_ids.size, grader_ids.size
        )
        calibration = Calibration.of(g_calibration, c_given, c_ref)
        return grade(
            reviews, method, lo=lo, hi=hi, anchors=anchors_of(values), calibration=calibration
        )

    total_fit = fit(totals, sum(lows), sum(highs), c_total, c_truth)
    criteria = np.column_stack(
        [
            fit(scores[:, c], lows[c], highs[c], c_scores[:, c], c_truth_scores[:, c]).grade
            for c in range(n_criteria)
        ]
    )
    keep = np.isfinite(total_fit.grade)
    await queries.upsert_grades(
        conn,
        course_id,
        assignment_id,
        {
            "method": method,
            "submission": sub_ids[keep].tolist(),
            "estimate": total_fit.grade[keep].tolist(),
            # one PostgreSQL array literal per grade: parsed by a cast, no per-row slicing
            "criteria": [
                "{" + ",".join(map(repr, row)) + "}"
                for row in np.nan_to_num(criteria[keep]).tolist()
            ],
            "confidence": total_fit.confidence[keep].tolist(),
            "n_reviews": total_fit.n_reviews[keep].tolist(),
            "spread": total_fit.spread[keep].tolist(),
            "doubt": np.minimum(total_fit.doubt[keep], 1e9).tolist(),
            "doubtful": total_fit.doubtful[keep].tolist(),
        },
    )
    if method == "calibrated" and grader_ids.size:
        await queries.upsert_grader_stats(
            conn,
            course_id,
            assignment_id,
            grader_ids.tolist(),
            total_fit.bias.tolist(),
            [None if not np.isfinite(r) else float(r) for r in total_fit.reliability],
            total_fit.suspect.tolist(),
        )
    await queries.update_assignment(conn, course_id, assignment_id, {"graded_at": now()})
    return s.GradingRun(
        assignment_id=assignment_id,
        method=method,
        graded=int(keep.sum()),
        doubtful=int(total_fit.doubtful[keep].sum()),
    )


async def request_grading(conn, principal: Principal, assignment_id: int) -> dict:
    require_instructor(principal)
    row = await load_assignment(conn, principal, assignment_id)
    if row["phase"] not in ("review", "grading"):
        raise Conflict("grade during the review or grading phase")
    await enqueue(
        conn, "peerreview_grade", principal.course_id, assignment_id, course_id=principal.course_id
    )
    return {"queued": True}


def grade_read(row, points_possible: float) -> s.GradeRead:
    return s.GradeRead(
        id=row["submission_id"],
        assignment_id=row["assignment_id"],
        estimate=row["estimate"],
        criteria=list(row["criteria"]),
        confidence=row["confidence"],
        method=row["method"],
        n_reviews=row["n_reviews"],
        spread=row["spread"],
        doubt=row["doubt"],
        doubtful=row["doubtful"],
        override_score=row["override_score"],
        override_reason=row["override_reason"],
        final_score=row["final_score"],
        points_possible=points_possible,
        released=row["released_at"] is not None,
        computed_at=row["computed_at"],
    )


async def list_grades(
    conn,
    principal: Principal,
    assignment_id: int,
    cursor: str | None,
    limit: int,
    *,
    doubtful: bool,
) -> s.GradeList:
    row = await load_assignment(conn, principal, assignment_id)
    points = row["points_possible"]
    if not principal.is_staff:
        key, _ = await _my_owner_key(conn, principal, row)
        mine = await queries.select_submission_of_owner(
            conn, principal.course_id, assignment_id, key
        )
        grade_row = mine and await queries.select_grade(conn, principal.course_id, mine["id"])
        items = [grade_read(grade_row, points)] if grade_row and grade_row["released_at"] else []
        return s.GradeList(items=items, next_cursor=None)
    limit = page_limit(limit)
    if doubtful:
        after = decode_cursor(cursor, 2)
        rows = await queries.select_doubtful(
            conn,
            principal.course_id,
            assignment_id,
            after=(float(after[0]), int(after[1])) if after else None,
            limit=limit + 1,
        )
        items = [grade_read(r, points) for r in rows[:limit]]
        next_cursor = encode_cursor(items[-1].doubt, items[-1].id) if len(rows) > limit else None
        return s.GradeList(items=items, next_cursor=next_cursor)
    after = decode_cursor(cursor, 1)
    rows = await queries.select_grades(
        conn,
        principal.course_id,
        assignment_id,
        after_id=int(after[0]) if after else 0,
        limit=limit + 1,
    )
    items = [grade_read(r, points) for r in rows[:limit]]
    return s.GradeList(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


async def _grade_access(conn, principal: Principal, submission_id: int):
    sub = await queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such grade")
    row = await load_assignment(conn, principal, sub["assignment_id"])
    access = await _can_see_submission(conn, principal, sub)
    if access == "reviewer":
        raise NotFound("no such grade")
    return sub, row, access


async def get_grade(conn, principal: Principal, submission_id: int) -> s.GradeRead:
    _, row, access = await _grade_access(conn, principal, submission_id)
    grade_row = await queries.select_grade(conn, principal.course_id, submission_id)
    if grade_row is None or (access == "owner" and grade_row["released_at"] is None):
        raise NotFound("no grade yet")
    return grade_read(grade_row, row["points_possible"])


async def override_grade(
    conn, principal: Principal, submission_id: int, data: s.Override
) -> s.GradeRead:
    """Staff set (or clear, with score None) the grade; an override always wins."""
    require_staff(principal)
    sub, row, _ = await _grade_access(conn, principal, submission_id)
    if data.score is not None and data.score > row["points_possible"]:
        raise Unprocessable(f"the score cannot exceed {row['points_possible']} points")
    reason = clean_text(data.reason)
    course_id = principal.course_id
    updated = await queries.set_override(
        conn, course_id, submission_id, data.score, reason, principal.user_id
    )
    if updated is None:
        if data.score is None:
            raise NotFound("no grade to clear")
        updated = await queries.insert_override_grade(
            conn, course_id, row["id"], submission_id, data.score, reason, principal.user_id
        )
    await queries.resolve_regrades(conn, course_id, submission_id, reason)
    if row["phase"] == "released":
        if updated["released_at"] is None:
            await queries.release_grades(conn, course_id, row["id"])
        await enqueue(conn, "peerreview_passback", course_id, row["id"], course_id=course_id)
        updated = await queries.select_grade(conn, course_id, submission_id)
    return grade_read(updated, row["points_possible"])


async def request_regrade(
    conn, principal: Principal, submission_id: int, data: s.RegradeCreate
) -> s.RegradeRead:
    sub, row, access = await _grade_access(conn, principal, submission_id)
    if access != "owner":
        raise Forbidden("only the author may ask for a regrade")
    if row["phase"] != "released":
        raise Conflict("grades are not released yet")
    saved = await queries.insert_regrade(
        conn, principal.course_id, row["id"], submission_id, principal.user_id,
        clean_text(data.reason),
    )  # fmt: skip
    if saved is None:
        raise Conflict("a regrade request for this submission is already open")
    return msgspec.convert(dict(saved), s.RegradeRead)


async def list_regrades(
    conn, principal: Principal, assignment_id: int, cursor: str | None, limit: int
) -> s.RegradeList:
    require_staff(principal)
    await load_assignment(conn, principal, assignment_id)
    after = decode_cursor(cursor, 1)
    rows = await queries.select_regrades(
        conn,
        principal.course_id,
        assignment_id,
        after_id=int(after[0]) if after else 0,
        limit=page_limit(limit) + 1,
    )
    items = [msgspec.convert(dict(r), s.RegradeRead) for r in rows[:limit]]
    return s.RegradeList(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


# ---- release and passback -----------------------------------------------------------------------


def resource_id(assignment_id: int) -> str:
    return f"assignment-{assignment_id}"


async def passback(conn, course_id: int, assignment_id: int) -> int:
    """Send every released final score to the LMS through the LTI context's AGS job.

    `request_score_passback` is idempotent, so a retry of this job (or a later override) simply
    requests the same scores again."""
    from agora.lti.ags import request_score_passback  # the LTI context's published contract

    row = await queries.select_assignment(conn, course_id, assignment_id)
    if row is None or row["phase"] != "released":
        return 0
    sent, after = 0, 0
    while True:
        rows = await queries.select_release_scores(
            conn, course_id, assignment_id, after_user=after, limit=PASSBACK_PAGE
        )
        for r in rows:
            await request_score_passback(
                conn,
                course_id=course_id,
                resource_id=resource_id(assignment_id),
                label=row["title"],
                score_maximum=row["points_possible"],
                user_id=r["user_id"],
                score_given=float(r["final_score"]),
                comment="",
                # the grade's own time: a rerun sends the same score with the same timestamp,
                # and a later override always carries a newer one
                timestamp=r["score_time"],
            )
        sent += len(rows)
        if len(rows) < PASSBACK_PAGE:
            return sent
        after = rows[-1]["user_id"]


async def passback_status(conn, principal: Principal, assignment_id: int) -> s.PassbackStatus:
    from agora.lti.ags import select_passback_status

    require_staff(principal)
    await load_assignment(conn, principal, assignment_id)
    rows = await select_passback_status(
        conn, course_id=principal.course_id, resource_id=resource_id(assignment_id)
    )
    items = [
        s.PassbackRow(
            user_id=r["user_id"],
            status=str(r["status"]),
            score_given=r.get("score_given"),
            attempts=int(r.get("attempts") or 0),
            detail=str(r.get("last_error") or ""),
        )
        for r in rows
    ]
    return s.PassbackStatus(resource_id=resource_id(assignment_id), items=items)
