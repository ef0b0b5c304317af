"""The staff's participation export as a spreadsheet opens it."""

from __future__ import annotations

import csv
import io


async def test_participation_export_cells_never_run_as_formulas(forum, course, client, conn):
    """A name from the LMS or a board name typed by staff that starts like a formula is text."""
    formula = '=HYPERLINK("https://evil.example","x")'
    await conn.execute("UPDATE users SET name = $1 WHERE id = $2", formula, course.alice.user_id)
    await forum.thread(course.alice, title="Week 1")
    response = await client.get(
        f"/api/v1/courses/{course.id}/export/participation.csv", headers=course.instructor.headers
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    names = {r["name"] for r in rows if int(r["user_id"]) == course.alice.user_id}
    assert names == {"'" + formula}
