"""Staff views of participation: per-learner stats and the participation CSV export."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Stream

from agora.deps import CurrentPrincipal, Db
from agora.params import Cursor, Limit, PathId
from forum.schemas import LearnerStatsPage
from forum.service import stats as stats_service


class StatsRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum staff"]

    @get("/stats/learners")
    async def stats(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> LearnerStatsPage:
        return await stats_service.learner_stats(db, principal, course_id, cursor, limit)

    @get("/export/participation.csv")
    async def export(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
    ) -> Stream:
        """Timestamped posts and replies per member (posts anonymous to all are not attributed)."""
        await stats_service.check_export_allowed(db, principal, course_id)
        return Stream(
            stats_service.participation_csv(request.app.state.database, principal, course_id),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="participation-{course_id}.csv"'
            },
        )
