"""Calibration: instructors add scored examples; learners score them before reviewing and see the
reference scores (and their error) once they have answered."""

from __future__ import annotations

from typing import Any

import asyncpg
import numpy as np

from agora import remote_images
from agora.errors import Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_text
from agora.sessions import Principal
from peerreview import rules
from peerreview import schemas as s
from peerreview.queries import calibration as queries
from peerreview.service.common import load_assignment, require_instructor, score_choices


def example_read(row: asyncpg.Record, *, reveal: bool) -> s.ExampleRead:
    """An example, with its reference answer if `reveal` (staff, or a learner who answered)."""
    return s.ExampleRead(
        id=row["id"],
        body_html=row["body_html"],
        choices=list(row["choices"]) if reveal else None,
        scores=list(row["scores"]) if reveal else None,
        total=row["total"] if reveal else None,
        explanation=row["explanation"] if reveal else None,
    )


async def add_example(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.ExampleCreate
) -> s.ExampleRead:
    require_instructor(principal)
    assignment = await load_assignment(conn, principal, assignment_id)
    scores, total = score_choices(assignment.rubric, data.choices)
    example = await queries.insert_example(
        conn,
        principal.course_id,
        assignment_id,
        body=data.body,
        body_html=await remote_images.rendered(conn, data.body),
        choices=data.choices,
        scores=scores,
        total=total,
        explanation=clean_text(data.explanation),
    )
    return example_read(example, reveal=True)


async def calibration_state(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> s.CalibrationState:
    """Staff: every example with its reference. Learners: progress, the next example to score,
    the ones they scored (with references) and their mean error."""
    assignment = await load_assignment(conn, principal, assignment_id)
    examples = await queries.select_examples(conn, principal.course_id, assignment_id)
    required = rules.calibration_required(assignment, len(examples))
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
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.CalibrationAnswer
) -> s.CalibrationResult:
    """Score one example (once: answers stand) and get the reference back."""
    assignment = await load_assignment(conn, principal, assignment_id)
    if principal.is_staff:
        raise Forbidden("calibration is for learners")
    if not rules.calibration_open(assignment):
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
    scores, total = score_choices(assignment.rubric, data.choices)
    saved = await queries.insert_answer(
        conn,
        principal.course_id,
        assignment_id,
        example_id=example["id"],
        user_id=principal.user_id,
        choices=data.choices,
        scores=scores,
        total=total,
    )
    if saved is None:
        raise Conflict("you have already scored this example")
    return s.CalibrationResult(
        example=example_read(example, reveal=True),
        your_choices=data.choices,
        your_total=total,
        error=total - example["total"],
    )


async def rescore_examples(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, rubric: list[dict[str, Any]]
) -> None:
    """The rubric is changing: score each calibration example's reference choices on the new
    rubric, so a learner's answer is compared with a total of the same rubric. Refused when
    learners have already answered (their answers would compare with another rubric's) or when
    an example's choices do not fit the new criteria and options (the instructor deletes it or
    keeps the rubric's shape)."""
    examples = await queries.select_examples(conn, course_id, assignment_id)
    if not examples:
        return
    if await queries.any_answer(conn, course_id, assignment_id):
        raise Conflict(
            "learners have scored the calibration examples on this rubric: it can no longer change"
        )
    rescored = []
    for number, example in enumerate(examples, start=1):
        try:
            rescored.append(score_choices(rubric, list(example["choices"])))
        except Unprocessable as error:
            raise Conflict(
                f"calibration example {number} was scored on the old rubric and does not fit the "
                f"new one ({error.detail}): delete it first, or keep the criteria and options"
            ) from None
    await queries.update_example_scores(
        conn, course_id, ids=[e["id"] for e in examples],
        scores=[scores for scores, _ in rescored], totals=[total for _, total in rescored],
    )  # fmt: skip
