"""The regrade API: only staff read the open requests (the request itself is exercised after
release in test_reviews)."""

from __future__ import annotations

from tests.peerreview.helpers import create_assignment

API = "/api/v1"


async def test_only_staff_list_regrade_requests(client, course):
    a = await create_assignment(client, course)
    url = f"{API}/assignments/{a['id']}/regrade-requests"
    response = await client.get(url, headers=course.ta.headers)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
    response = await client.get(url, headers=course.alice.headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
