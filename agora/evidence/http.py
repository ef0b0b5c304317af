"""Participation evidence in the JSON API (staff): ask for a snapshot, list them, read one,
download its files and its signature."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody
from litestar.response import Stream

from agora.deps import CurrentPrincipal, Db
from agora.evidence import service
from agora.params import PathId


class EvidenceRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}/evidence"
    tags = ["participation evidence"]

    @post(status_code=202)
    async def request_snapshot(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        data: JSONBody[service.EvidenceRequest],
    ) -> service.EvidenceExport:
        """Queue a snapshot of [from_at, to_at); the worker builds it (status turns 'ready')."""
        return await service.request_export(db, principal, course_id, data)

    @get()
    async def snapshots(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId
    ) -> service.EvidenceList:
        return await service.list_exports(db, principal, course_id)

    @get("/{export_id:int}")
    async def snapshot(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, export_id: PathId
    ) -> service.EvidenceExport:
        return await service.get_export(db, principal, course_id, export_id)

    @get("/{export_id:int}/signature.json", media_type="application/json")
    async def signature(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, export_id: PathId
    ) -> Response[str]:
        document = await service.signature_document(db, principal, course_id, export_id)
        name = f"evidence-{course_id}-{export_id}-signature.json"
        return Response(document, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @get("/{export_id:int}/learners.csv")
    async def learners_file(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        export_id: PathId,
    ) -> Stream:
        """One row per learner, byte for byte the text whose SHA-256 was signed."""
        return await _download(request, db, principal, course_id, export_id, "learners.csv")

    @get("/{export_id:int}/log.csv")
    async def log_file(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        export_id: PathId,
    ) -> Stream:
        """The raw timestamped log, byte for byte the text whose SHA-256 was signed."""
        return await _download(request, db, principal, course_id, export_id, "log.csv")


async def _download(
    request: Request[Any, Any, Any],
    db: Db,
    principal: CurrentPrincipal,
    course_id: int,
    export_id: int,
    name: str,
) -> Stream:
    await service.check_file(db, principal, course_id, export_id, name)
    filename = f"evidence-{course_id}-{export_id}-{name}"
    return Stream(
        service.file_chunks(request.app.state.database, course_id, export_id, name),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


ROUTES = [EvidenceRoutes]
