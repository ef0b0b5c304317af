"""The course's forum settings: staff read them, instructors change them (PATCH: the fields
given replace the current ones; bad values are a 400 problem naming the field)."""

from __future__ import annotations

from litestar import Controller, get, patch
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import PathId
from forum.schemas import ForumSettingsRead, ForumSettingsUpdate
from forum.service import settings as settings_service


class SettingsRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}/forum/settings"
    tags = ["forum staff"]

    @get()
    async def read(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId
    ) -> ForumSettingsRead:
        return await settings_service.get_settings(db, principal, course_id)

    @patch()
    async def update(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        data: JSONBody[ForumSettingsUpdate],
    ) -> ForumSettingsRead:
        return await settings_service.update_settings(db, principal, course_id, data)
