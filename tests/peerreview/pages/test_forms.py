"""Reading the editor's and the scoring forms: rubric lines, deadlines, choices, editor rows."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from agora.errors import BadRequest
from peerreview.pages.forms import (
    MAX_CRITERIA,
    assignment_fields,
    deadline,
    editor_rows,
    rubric_choices,
    rubric_from_form,
)


def test_rubric_lines_become_options_with_decimal_commas_and_blank_lines_skipped():
    form = {
        "crit-0-name": " Accuracy ",
        "crit-0-options": "Wrong = 0\n\nPartly = 1,5\nA = B = 4",
        "crit-0-comments": "on",
        "crit-2-name": "Clarity",
        "crit-2-options": "Unclear = 0\nClear = 2",
    }
    assert rubric_from_form(form) == [
        {
            "name": "Accuracy",
            "description": "",
            "options": [
                {"label": "Wrong", "points": 0.0},
                {"label": "Partly", "points": 1.5},
                {"label": "A = B", "points": 4.0},
            ],
            "comments": True,
            "comment_only": False,
            "comment_required": False,
        },
        {
            "name": "Clarity",
            "description": "",
            "options": [{"label": "Unclear", "points": 0.0}, {"label": "Clear", "points": 2.0}],
            "comments": False,
            "comment_only": False,
            "comment_required": False,
        },
    ]


@pytest.mark.parametrize("line", ["Wrong zero", "= 3", "Right = lots"])
def test_an_option_line_without_label_and_points_is_a_400_naming_the_line(line):
    with pytest.raises(BadRequest) as error:
        rubric_from_form({"crit-0-name": "Accuracy", "crit-0-options": line})
    assert "label = points" in error.value.detail and line.strip() in error.value.detail


def test_criteria_past_the_builder_maximum_are_ignored():
    form = {f"crit-{i}-name": f"C{i}" for i in range(MAX_CRITERIA + 2)}
    assert len(rubric_from_form(form)) == MAX_CRITERIA


def test_deadlines_are_read_as_utc_and_empty_means_none():
    assert deadline("") is None and deadline(None) is None
    assert deadline("2030-05-01T12:30") == datetime(2030, 5, 1, 12, 30, tzinfo=UTC)
    with pytest.raises(BadRequest):
        deadline("next tuesday")


def test_empty_numbers_and_modes_are_left_to_the_defaults():
    raw = assignment_fields({"title": " T ", "reviews_per_submission": "", "grading_method": ""})
    assert raw["title"] == "T"
    assert "reviews_per_submission" not in raw and "grading_method" not in raw
    raw = assignment_fields({"title": "T", "reviews_required": "0", "allocation_mode": "batch"})
    assert raw["reviews_required"] == "0" and raw["allocation_mode"] == "batch"


def _assignment(*criteria: tuple[str, int]) -> SimpleNamespace:
    return SimpleNamespace(
        rubric=[
            SimpleNamespace(name=name, options=[None] * n, comment_only=n == 0)
            for name, n in criteria
        ]
    )


def test_choices_are_one_option_index_per_criterion():
    a = _assignment(("Accuracy", 3), ("Clarity", 2))
    assert rubric_choices({"c0": "2", "c1": "0"}, a) == [2, 0]


@pytest.mark.parametrize("form", [{"c0": "2"}, {"c0": "2", "c1": "2"}, {"c0": "x", "c1": "0"}])
def test_a_missing_or_impossible_choice_is_a_400_naming_the_criterion(form):
    a = _assignment(("Accuracy", 3), ("Clarity", 2))
    with pytest.raises(BadRequest) as error:
        rubric_choices(form, a)
    assert "Accuracy" in error.value.detail or "Clarity" in error.value.detail


def test_a_new_assignment_starts_the_builder_with_one_empty_row():
    assert editor_rows(None) == [
        {"name": "", "description": "", "comments": False, "options": "", "weight": 1.0,
         "comment_only": False, "comment_required": False}
    ]  # fmt: skip
    row = SimpleNamespace(
        name="Accuracy",
        description="Facts",
        comments=True,
        weight=2.0,
        comment_only=False,
        comment_required=True,
        options=[
            SimpleNamespace(label="Wrong", points=0.0),
            SimpleNamespace(label="Right", points=2.5),
        ],
    )
    assert editor_rows(SimpleNamespace(rubric=[row])) == [
        {"name": "Accuracy", "description": "Facts", "comments": True,
         "options": "Wrong = 0\nRight = 2.5", "weight": 2.0, "comment_only": False,
         "comment_required": True}
    ]  # fmt: skip


def test_weights_comment_only_and_required_comments_come_from_the_builder():
    form = {
        "crit-0-name": "Argument", "crit-0-options": "Weak = 0\nStrong = 4", "crit-0-weight": "2,5",
        "crit-1-name": "Tone", "crit-1-options": "ignored = 1", "crit-1-comment-only": "1",
        "crit-1-comment-required": "1",
    }  # fmt: skip
    argument, tone = rubric_from_form(form)
    assert argument["weight"] == "2.5" and not argument["comment_only"]
    assert tone["options"] == [] and tone["comment_only"] and tone["comment_required"]
    # a comment-only criterion takes choice 0 without a radio button
    a = _assignment(("Argument", 2), ("Tone", 0))
    assert rubric_choices({"c0": "1"}, a) == [1, 0]


def test_steps_are_read_only_from_the_editor_steps_fieldset():
    assert "peer_review" not in assignment_fields({"title": "T"})
    raw = assignment_fields({"title": "T", "steps": "1", "self_assessment": "on",
                             "peer_weight": "3", "self_weight": "1"})  # fmt: skip
    assert raw["peer_review"] is False and raw["self_assessment"] is True
    assert (raw["peer_weight"], raw["self_weight"]) == ("3", "1")
