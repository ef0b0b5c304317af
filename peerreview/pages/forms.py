"""Reading the peer-review forms: the rubric builder, the assignment editor, rubric choices.

The editor posts criteria as flat fields (crit-N-name, crit-N-options, …) and scoring forms
post one radio group per criterion (c0, c1, …); these turn them into the dicts the input
Structs are converted from, with a 400 that says which line or criterion is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agora import web
from agora.errors import BadRequest
from peerreview import schemas as s

MAX_CRITERIA = 20
MAX_OPTIONS = 10
EMPTY_CRITERION = {
    "name": "", "description": "", "comments": False, "options": "", "weight": 1.0,
    "comment_only": False, "comment_required": False,
}  # fmt: skip


def rubric_answer(form: dict[str, str], a: s.AssignmentRead) -> dict[str, object]:
    """A rubric form's answer (a review or a self-assessment): the choices, one comment per
    criterion (fields comment0, comment1, …) and the overall comment."""
    return {
        "choices": rubric_choices(form, a),
        "criterion_comments": [form.get(f"comment{i}", "") for i in range(len(a.rubric))],
        "comment": form.get("comment", ""),
    }


def rubric_choices(form: dict[str, str], a: s.AssignmentRead) -> list[int]:
    """The option chosen for each criterion of the assignment's rubric (fields c0, c1, …); 0 for
    a comment-only criterion, which has no options."""
    choices = []
    for i, criterion in enumerate(a.rubric):
        if criterion.comment_only:
            choices.append(0)
            continue
        value = form.get(f"c{i}")
        if value is None or not value.isdigit() or int(value) >= len(criterion.options):
            raise BadRequest(f"choose an option for “{criterion.name}”")
        choices.append(int(value))
    return choices


def _option(line: str) -> dict[str, Any]:
    label, sep, points = line.rpartition("=")
    try:
        value = float(points.strip().replace(",", "."))
    except ValueError:
        raise BadRequest(f"“{line.strip()}”: write each option as “label = points”") from None
    if not sep or not label.strip():
        raise BadRequest(f"“{line.strip()}”: write each option as “label = points”")
    return {"label": label.strip(), "points": value}


def rubric_from_form(form: dict[str, str]) -> list[dict[str, Any]]:
    """Criteria from the builder: crit-N-name, crit-N-description, crit-N-options (one option per
    line, "label = points"), crit-N-comments, crit-N-weight, crit-N-comment-only (its options are
    ignored) and crit-N-comment-required."""
    criteria = []
    for i in range(MAX_CRITERIA):
        name = form.get(f"crit-{i}-name", "").strip()
        if not name:
            continue
        comment_only = web.form_checked(form.get(f"crit-{i}-comment-only"))
        lines = [] if comment_only else form.get(f"crit-{i}-options", "").splitlines()
        criterion: dict[str, Any] = {
            "name": name,
            "description": form.get(f"crit-{i}-description", "").strip(),
            "options": [_option(line) for line in lines[:MAX_OPTIONS] if line.strip()],
            "comments": web.form_checked(form.get(f"crit-{i}-comments")),
            "comment_only": comment_only,
            "comment_required": web.form_checked(form.get(f"crit-{i}-comment-required")),
        }
        weight = form.get(f"crit-{i}-weight", "").strip().replace(",", ".")
        if weight:
            criterion["weight"] = weight
        criteria.append(criterion)
    return criteria


def deadline(value: str | None) -> datetime | None:
    """A datetime-local field, read as UTC (the pages show UTC too)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"not a date and time: {value}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def assignment_fields(form: dict[str, str]) -> dict[str, Any]:
    """The editor's form as the raw AssignmentCreate/AssignmentUpdate fields (empty = not given)."""
    raw: dict[str, Any] = {
        "title": form.get("title", "").strip(),
        "prompt": form.get("prompt", ""),
        "rubric": rubric_from_form(form),
        "submission_deadline": deadline(form.get("submission_deadline")),
        "review_deadline": deadline(form.get("review_deadline")),
    }
    for field in ("reviews_per_submission", "reviews_required", "calibration_required"):
        if form.get(field, "") != "":
            raw[field] = form[field]
    for field in ("allocation_mode", "grading_method"):
        if form.get(field):
            raw[field] = form[field]
    if form.get("steps"):  # the editor's steps fieldset (unticked boxes post nothing)
        raw["peer_review"] = web.form_checked(form.get("peer_review"))
        raw["self_assessment"] = web.form_checked(form.get("self_assessment"))
        if form.get("team_field"):  # offered while a draft (see the editor)
            raw["team_submissions"] = web.form_checked(form.get("team_submissions"))
        for field in ("peer_weight", "self_weight", "review_quality_weight"):
            if form.get(field, "").strip():
                raw[field] = form[field].strip().replace(",", ".")
    return raw


def editor_rows(a: s.AssignmentRead | None) -> list[dict[str, Any]]:
    """The rubric as the builder's rows (options back to "label = points" lines); one empty
    row for a new assignment."""
    rubric = a.rubric if a else []
    rows = [
        {
            "name": c.name,
            "description": c.description,
            "comments": c.comments,
            "options": "\n".join(f"{o.label} = {o.points:g}" for o in c.options),
            "weight": c.weight,
            "comment_only": c.comment_only,
            "comment_required": c.comment_required,
        }
        for c in rubric
    ]
    return rows or [dict(EMPTY_CRITERION)]
