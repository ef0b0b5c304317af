"""Participation evidence pages (staff): the snapshots and a form to ask for one; a snapshot's
printable summary, with a lookup that prints one learner's row (what an audit asks about)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import QueryParameter

from agora import web
from agora.deps import CurrentPrincipal, Db
from agora.errors import BadRequest
from agora.evidence import service
from agora.params import PathId

COURSE = "/courses/{course_id:int}"
SECTION = "moderation"
Lookup = Annotated[str | None, QueryParameter(max_length=100)]


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"`{field}` must be a date (YYYY-MM-DD)") from None


@get(COURSE + "/evidence")
async def evidence_page(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[str]:
    snapshots = await service.list_exports(db, principal, course_id)
    return await web.render_page(
        request, db, principal, "evidence/list.html", section=SECTION,
        snapshots=snapshots.items, fragment=web.is_fragment_request(request),
        building=any(s.status == "pending" for s in snapshots.items),
        today=datetime.now(UTC).date().isoformat(),
    )  # fmt: skip


@post(COURSE + "/evidence", status_code=200)
async def request_evidence(
    request: Request[Any, Any, Any], course_id: PathId, db: Db, principal: CurrentPrincipal
) -> Response[str]:
    """Dates are whole UTC days, both included (the window ends at midnight after `to`)."""
    form = await web.form_fields(request)
    start = _day(form.get("from", ""), "from")
    end = _day(form.get("to", ""), "to") + timedelta(days=1)
    data = service.EvidenceRequest(
        from_at=datetime.combine(start, time(), UTC), to_at=datetime.combine(end, time(), UTC)
    )
    await service.request_export(db, principal, course_id, data)
    response = await evidence_page.fn(request, course_id, db, principal)
    return web.push_url(response, f"{web.PAGE_PREFIX}/courses/{course_id}/evidence")


@get(COURSE + "/evidence/{export_id:int}")
async def summary_page(
    request: Request[Any, Any, Any],
    course_id: PathId,
    export_id: PathId,
    db: Db,
    principal: CurrentPrincipal,
    q: Lookup = None,
) -> Response[str]:
    snapshot = await service.get_export(db, principal, course_id, export_id)
    found = None
    if q and q.strip() and snapshot.status == "ready":
        headers = [header for _, header in snapshot.columns]
        rows = await service.find_learners(db, course_id, export_id, q.strip())
        found = [list(zip(headers, row, strict=False)) for row in rows]
    return await web.render_page(
        request, db, principal, "evidence/summary.html", section=SECTION, s=snapshot,
        q=q or "", found=found,
        api=f"/api/v1/courses/{course_id}/evidence/{export_id}",
    )  # fmt: skip


HANDLERS = [evidence_page, request_evidence, summary_page]
ROUTES = [web.page_router(*HANDLERS)]
