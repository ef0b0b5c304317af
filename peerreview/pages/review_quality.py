"""Staff's list of every learner's review quality for an assignment (issue 13.4): the score and
its parts, worst first, a page at a time, searchable by name; linked from the dashboard."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.names import NameSearch
from agora.params import Cursor, PathId
from peerreview.pages.urls import ASSIGNMENT, SECTION, assignment_url, more_url
from peerreview.service import assignments as assignments_service
from peerreview.service import review_quality as review_quality_service

PAGE_SIZE = 100  # reviewers per page


@get(ASSIGNMENT + "/review-quality")
async def review_quality_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    assignment_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    q: NameSearch = None,
) -> Response[Any]:
    """Learners: 403 (each reads their own on their grade page)."""
    page = await review_quality_service.list_review_quality(
        db, principal, assignment_id, cursor, PAGE_SIZE, q
    )
    a = await assignments_service.get_assignment(db, principal, assignment_id)
    url = assignment_url(course_id, assignment_id)
    return await web.render_page(
        request, db, principal, "peerreview/review_quality.html", section=SECTION, a=a,
        url=url, page=page, q=q or "", first_page=not cursor,
        more_url=more_url(f"{url}/review-quality", page.next_cursor, q),
    )  # fmt: skip


ROUTES: list[HTTPRouteHandler] = [review_quality_page]
