"""The demo course's peer-review assignment (called by agora.demo; idempotent).

A self-paced essay with a two-criterion rubric and two calibration examples, already in the
review phase, with two learners' essays in, so a newcomer launching as a learner can calibrate,
submit and review at once, and as an instructor can see the queue fill.
"""

from __future__ import annotations

import asyncpg

from agora.sessions import Principal
from peerreview import schemas as s
from peerreview.queries.assignments import select_assignment_by_title
from peerreview.service.assignments import change_phase, create_assignment
from peerreview.service.calibration import add_example
from peerreview.service.submissions import submit

TITLE = "Essay: one climate feedback loop"
PROMPT = """Pick **one** climate feedback loop (ice–albedo, water vapour, permafrost carbon…) and
explain in 300–500 words how it works, whether it amplifies or dampens warming, and what evidence
supports it. Cite at least one source."""
RUBRIC = [
    s.Criterion(
        name="Mechanism",
        description="Is the loop explained step by step, cause to effect and back?",
        options=[
            s.Option(label="Missing or wrong", points=0),
            s.Option(label="Partly explained", points=2),
            s.Option(label="Clear", points=4),
            s.Option(label="Clear and precise", points=6),
        ],
    ),
    s.Criterion(
        name="Evidence",
        description="Are claims supported by observations or cited studies?",
        comments=True,
        options=[
            s.Option(label="None", points=0),
            s.Option(label="Some", points=2),
            s.Option(label="Strong", points=4),
        ],
    ),
]
EXAMPLES = [
    (
        "Melting sea ice exposes dark ocean, which absorbs more sunlight, warming the water and "
        "melting more ice. Arctic summer ice extent fell about 13% per decade since 1979 (NSIDC).",
        [3, 2],
        "Complete loop, precise, with an observation and its source.",
    ),
    (
        "Warming makes more clouds which cool the planet so it is fine.",
        [1, 0],
        "A loop is named but not explained, its sign is asserted, and nothing supports it.",
    ),
]
ESSAYS = {
    "dev-learner-2": "Permafrost holds about 1,500 Gt of carbon. As it thaws, microbes release "
    "CO₂ and methane, which **amplify** warming and thaw more permafrost (Schuur et al. 2015).",
    "dev-learner-3": "Warmer air holds ~7% more water vapour per °C (Clausius–Clapeyron). Water "
    "vapour is a greenhouse gas, so it traps more heat: an amplifying loop.",
}


async def seed(conn: asyncpg.Connection, course_id: int, people: dict[str, int]) -> None:
    if await select_assignment_by_title(conn, course_id, TITLE) is not None:
        return
    instructor = Principal(user_id=people["dev-instructor"], course_id=course_id, role="instructor")
    assignment = await create_assignment(
        conn,
        instructor,
        course_id,
        s.AssignmentCreate(
            title=TITLE,
            prompt=PROMPT,
            rubric=RUBRIC,
            reviews_per_submission=2,
            calibration_required=1,
            allocation_mode="dynamic",
        ),
    )
    for body, choices, explanation in EXAMPLES:
        await add_example(
            conn,
            instructor,
            assignment.id,
            s.ExampleCreate(body=body, choices=choices, explanation=explanation),
        )
    await change_phase(conn, instructor, assignment.id, "review")
    for sub, body in ESSAYS.items():
        if sub in people:
            learner = Principal(user_id=people[sub], course_id=course_id, role="learner")
            await submit(conn, learner, assignment.id, s.SubmissionWrite(body=body))
