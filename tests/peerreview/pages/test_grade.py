"""The learner's grade page: scores per criterion add up to the grade shown, with its rounding,
and a grade set by staff says so and shows no per-criterion split that would contradict it."""

from __future__ import annotations

import re

from peerreview.queries import assignments as assignment_queries
from peerreview.queries import grades as grade_queries
from peerreview.queries.grades import GradingResult
from tests.peerreview.helpers import insert_assignment_row, insert_submission_row
from tests.peerreview.pages.helpers import ui


async def released_grade(conn, course, estimate: float, criteria: str):
    a = await insert_assignment_row(conn, course)
    a = await assignment_queries.update_assignment(conn, course.id, a.id, {"phase": "released"})
    sub = await insert_submission_row(conn, course.id, a.id, course.alice.user_id)
    await grade_queries.upsert_grades(
        conn, course.id, a.id,
        GradingResult(method="calibrated", submission=[sub], estimate=[estimate],
                      criteria=[criteria], confidence=[0.4], n_reviews=[3], spread=[0.5],
                      doubt=[0.3], doubtful=[False]),
    )  # fmt: skip
    await grade_queries.release_grades(conn, course.id, a.id)
    return a, sub


def shown(page: str) -> tuple[float, list[float]]:
    total = float(re.search(r'<div class="stat"><strong>([\d.]+) / 10</strong>', page).group(1))
    table = re.search(r"<table data-criteria>(.*?)</table>", page, re.S)
    parts = [float(x) for x in re.findall(r"<td>([\d.]+)</td>", table.group(1))] if table else []
    return total, parts


async def test_criteria_shown_add_up_to_the_grade_shown(client, conn, course):
    # 4.075 + 3.175 is 7.25 (printed 7.2); each printed alone they would read 4.1 + 3.2
    a, _ = await released_grade(conn, course, 7.25, "{4.075,3.175}")
    page = await client.get(ui(course, f"/assignments/{a.id}/grade"), headers=course.alice.headers)
    assert page.status_code == 200
    total, parts = shown(page.text)
    assert total == 7.2 and parts == [4.1, 3.1]
    assert round(sum(parts), 1) == total
    assert "data-overridden" not in page.text


async def test_an_overridden_grade_says_so_and_shows_no_criteria(client, conn, course):
    a, sub = await released_grade(conn, course, 7.25, "{4.075,3.175}")
    await grade_queries.set_override(
        conn, course.id, sub, score=9.0, reason="Sources checked by hand.",
        by=course.instructor.user_id,
    )  # fmt: skip
    page = await client.get(ui(course, f"/assignments/{a.id}/grade"), headers=course.alice.headers)
    total, parts = shown(page.text)
    assert total == 9.0 and parts == []
    assert "data-overridden" in page.text and "Sources checked by hand." in page.text
