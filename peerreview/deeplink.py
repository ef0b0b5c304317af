"""What peer review offers the LMS's deep-linking picker: its assignments and a new one, each
with the line item (score maximum) the LMS makes its gradebook column from."""

from __future__ import annotations

from typing import Any

import asyncpg

from agora.errors import NotFound
from agora.lti.deeplink import N_, Pickable, Source
from agora.sessions import Principal
from agora.web import convert_form
from peerreview import schemas as s
from peerreview.service import assignments
from peerreview.service.common import MAX_LIMIT

# The rubric a new assignment made from the picker starts with; the instructor edits it in
# Agora before opening submissions.
NEW_ASSIGNMENT_RUBRIC: list[dict[str, Any]] = [
    {
        "name": "Overall quality",
        "options": [
            {"label": "Needs work", "points": 0},
            {"label": "Adequate", "points": 1},
            {"label": "Good", "points": 2},
            {"label": "Excellent", "points": 3},
        ],
    }
]
TEXT_LENGTH = 300


def _pickable(assignment: s.AssignmentRead) -> Pickable:
    text = " ".join(assignment.prompt.split())[:TEXT_LENGTH]
    return Pickable(
        id=assignment.id,
        title=assignment.title,
        text=text,
        score_maximum=assignment.points_possible,
    )


async def _list(conn: asyncpg.Connection, principal: Principal) -> list[Pickable]:
    page = await assignments.list_assignments(conn, principal, principal.course_id, limit=MAX_LIMIT)
    return [_pickable(a) for a in page.items]


async def _find(
    conn: asyncpg.Connection, principal: Principal, item_id: int | None
) -> Pickable | None:
    if item_id is None:
        return None
    try:
        return _pickable(await assignments.get_assignment(conn, principal, item_id))
    except NotFound:
        return None


async def _create(conn: asyncpg.Connection, principal: Principal, title: str) -> Pickable:
    data = convert_form({"title": title, "rubric": NEW_ASSIGNMENT_RUBRIC}, s.AssignmentCreate)
    created = await assignments.create_assignment(conn, principal, principal.course_id, data)
    return _pickable(created)


SOURCES = [
    Source(
        kind="assignment",
        heading=N_("Peer review"),
        list_items=_list,
        find=_find,
        create=_create,
        new_label=N_("A new peer-review assignment titled"),
        default_text=N_(
            "A peer-review assignment: submit your work, review your peers', get a grade."
        ),
        graded=True,
    )
]
