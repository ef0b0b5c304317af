"""Where the peer-review pages live: the route templates and the links pages hand out."""

from __future__ import annotations

from urllib.parse import urlencode

from agora.web import PAGE_PREFIX

SECTION = "assignments"  # the layout's navigation entry these pages highlight
ASSIGNMENTS = "/courses/{course_id:int}/assignments"
ASSIGNMENT = ASSIGNMENTS + "/{assignment_id:int}"
REVIEW = "/courses/{course_id:int}/reviews/{review_id:int}"
SUBMISSION = "/courses/{course_id:int}/submissions/{submission_id:int}"
GRADE = "/courses/{course_id:int}/grades/{submission_id:int}"


def assignments_url(course_id: int) -> str:
    return f"{PAGE_PREFIX}/courses/{course_id}/assignments"


def assignment_url(course_id: int, assignment_id: int) -> str:
    return f"{assignments_url(course_id)}/{assignment_id}"


def more_url(list_url: str, next_cursor: str | None, q: str | None) -> str:
    """The link to a staff list's next page (keeping its name search), or "" on the last."""
    if not next_cursor:
        return ""
    return f"{list_url}?" + urlencode(({"q": q} if q else {}) | {"cursor": next_cursor})
