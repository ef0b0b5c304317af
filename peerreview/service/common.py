"""Helpers every peer-review service module shares: the clock, list limits, owner keys, rubric
scoring, loading an assignment the viewer may see, and the role checks that raise."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from agora.errors import Conflict, Forbidden, NotFound, Unprocessable
from agora.markup import clean_texts
from agora.pagination import page_limit
from agora.sessions import Principal
from peerreview import rules
from peerreview.queries import assignments as assignment_queries
from peerreview.queries.assignments import Assignment

# Page sizes of every peer-review list (the HTTP layer bounds `limit` too).
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def now() -> datetime:
    return datetime.now(UTC)


def list_limit(limit: int | None) -> int:
    return page_limit(limit, default=DEFAULT_LIMIT, maximum=MAX_LIMIT)


def owner_key(user_id: int, team: str | None, team_submissions: bool) -> str:
    """Who owns a submission: the team in team assignments, else the learner."""
    return f"t:{team}" if team_submissions and team else f"u:{user_id}"


def scored(criterion: dict[str, Any]) -> bool:
    """A comment-only criterion has no options and no score (rubrics stored before weights and
    comment-only criteria read as scored, weight 1)."""
    return not criterion.get("comment_only", False)


def weight(criterion: dict[str, Any]) -> float:
    return float(criterion.get("weight", 1.0))


def rubric_points(rubric: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """Lowest and highest weighted points per criterion (0 and 0 for a comment-only one): what
    a criterion can add to the total."""
    lows = [
        weight(c) * min(o["points"] for o in c["options"]) if scored(c) else 0.0 for c in rubric
    ]
    highs = [
        weight(c) * max(o["points"] for o in c["options"]) if scored(c) else 0.0 for c in rubric
    ]
    return lows, highs


def score_choices(rubric: list[dict[str, Any]], choices: list[int]) -> tuple[list[float], float]:
    """The weighted points of the option chosen per criterion, and their total (the weighted
    total). A comment-only criterion takes choice 0 and scores 0: it never counts."""
    if len(choices) != len(rubric):
        raise Unprocessable(f"choose one option for each of the {len(rubric)} criteria")
    scores = []
    for i, (criterion, choice) in enumerate(zip(rubric, choices, strict=True)):
        if not scored(criterion):
            if choice != 0:
                raise Unprocessable(f"criterion {i + 1} is comment-only: its choice is 0")
            scores.append(0.0)
            continue
        if choice >= len(criterion["options"]):
            raise Unprocessable(f"criterion {i + 1} has only {len(criterion['options'])} options")
        scores.append(weight(criterion) * float(criterion["options"][choice]["points"]))
    return scores, float(sum(scores))


async def check_comments(
    rubric: list[dict[str, Any]], comments: list[str], *, required: bool = False
) -> list[str]:
    """One cleaned comment per criterion (missing ones empty). With `required` (a learner's
    review or self-assessment), a criterion whose comment is required must have one."""
    if len(comments) > len(rubric):
        raise Unprocessable("more criterion comments than criteria")
    cleaned = await clean_texts(comments) + [""] * (len(rubric) - len(comments))
    if required:
        for criterion, comment in zip(rubric, cleaned, strict=True):
            if criterion.get("comment_required") and not comment.strip():
                raise Unprocessable(f"write a comment on “{criterion['name']}”")
    return cleaned


def require_instructor(principal: Principal) -> None:
    if not rules.can_manage_assignment(principal):
        raise Forbidden("only instructors may do this")


def require_staff(principal: Principal) -> None:
    if not rules.can_supervise(principal):
        raise Forbidden("only instructors and teaching assistants may do this")


async def load_assignment(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, *, for_update: bool = False
) -> Assignment:
    """The assignment, if it exists for this viewer (404 otherwise, drafts included)."""
    assignment = await assignment_queries.select_assignment(
        conn, principal.course_id, assignment_id, for_update=for_update
    )
    if assignment is None or not rules.can_see_assignment(principal, assignment):
        raise NotFound("no such assignment")
    return assignment


async def my_owner_key(
    conn: asyncpg.Connection, principal: Principal, assignment: Assignment
) -> tuple[str, str | None]:
    """The viewer's owner key in this assignment, and their team (None if in none)."""
    team = await assignment_queries.select_team(
        conn, principal.course_id, assignment.id, principal.user_id
    )
    if assignment.team_submissions and team is None:
        raise Conflict("this is team work and you are in no team; ask your instructor")
    return owner_key(principal.user_id, team, assignment.team_submissions), team
