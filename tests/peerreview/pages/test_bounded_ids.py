"""Every peer-review page bounds its ids: an id beyond bigint is a 400 error page in HTML
(never the 500 an int64 overflow in PostgreSQL used to give). The cases are read from the
page router, so a new page is covered without editing this file."""

from __future__ import annotations

import re

import pytest

from agora.schemas import MAX_ID
from peerreview import pages

BEYOND_BIGINT = MAX_ID + 1
INT_PARAMETER = re.compile(r"\{(\w+):int\}")
# The course guard's 404 is checked on reads only: when a dependency raises after the
# request's database dependency has opened its transaction (a write), Litestar 2.25 never runs
# that generator's cleanup, and the transaction is rolled back whenever the garbage collector
# closes it, which breaks the shared test connection (reported to the lead, agora/app.py).
GUARD_CHECKED_METHODS = {"GET"}


def _url(path: str, course_id: int, beyond: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == beyond:
            return str(BEYOND_BIGINT)
        return str(course_id) if name == "course_id" else "1"

    return INT_PARAMETER.sub(value, path)


def _id_cases(*, course: bool):
    for router in pages.ROUTES:
        for route in router.routes:
            for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                for name in INT_PARAMETER.findall(route.path):
                    if (name == "course_id") != course:
                        continue
                    if not course or method in GUARD_CHECKED_METHODS:
                        yield pytest.param(method, route.path, name, id=f"{method} {route.path}")


def test_the_page_router_has_ids_to_check():
    assert len(list(_id_cases(course=False))) >= 15
    assert all(path.startswith("/ui/") for _, path, _ in (c.values for c in _id_cases(course=True)))


@pytest.mark.parametrize(("method", "path", "parameter"), list(_id_cases(course=False)))
async def test_path_id_beyond_bigint_is_a_400_error_page(client, course, method, path, parameter):
    url = _url(path, course.id, parameter)
    response = await client.request(method, url, headers=course.instructor.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-status="400"' in response.text


@pytest.mark.parametrize(("method", "path", "parameter"), list(_id_cases(course=True)))
async def test_course_id_beyond_bigint_is_a_not_found_page(client, course, method, path, parameter):
    # The course guard (the principal dependency) answers before parameters are validated.
    url = _url(path, course.id, parameter)
    response = await client.request(method, url, headers=course.instructor.headers)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-status="404"' in response.text


async def test_the_issue_url_with_a_huge_assignment_id_is_a_400_page(client, course):
    url = f"/ui/courses/{course.id}/assignments/99999999999999999999"
    response = await client.get(url, headers=course.alice.headers)
    assert response.status_code == 400
    assert 'data-status="400"' in response.text and '<html lang="en">' in response.text
