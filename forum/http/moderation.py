"""Moderation: thread state (pin, lock, close, hide), move and duplicate; hiding posts; flags
and the queue; the audit log; mutes and bans."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from agora.deps import CurrentPrincipal, Db
from agora.names import NameSearch
from agora.params import Cursor, Limit, PathId, QueryId
from forum.schemas import (
    FlagCreate,
    FlagRead,
    FlagResolve,
    HideRequest,
    ModLogPage,
    PostRead,
    QueuePage,
    RestrictionCreate,
    RestrictionList,
    RestrictionRead,
    RevisionRead,
    RevisionRedact,
    ThreadDuplicate,
    ThreadMove,
    ThreadRead,
    ThreadStateChange,
)
from forum.service import moderation as moderation_service

ActionName = Annotated[str | None, QueryParameter(pattern=r"^[a-z_]{1,40}$")]


class ThreadModerationRoutes(Controller):
    path = "/api/v1/threads/{thread_id:int}"
    tags = ["forum"]

    @post("/state", status_code=200)
    async def state(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[ThreadStateChange],
    ) -> ThreadRead:
        """Staff: pin, lock, close, hide and their undoing, with a reason."""
        return await moderation_service.change_thread_state(db, principal, thread_id, data)

    @post("/move", status_code=200)
    async def move(
        self, db: Db, principal: CurrentPrincipal, thread_id: PathId, data: JSONBody[ThreadMove]
    ) -> ThreadRead:
        return await moderation_service.move_thread(db, principal, thread_id, data)

    @post("/duplicate", status_code=200)
    async def duplicate(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[ThreadDuplicate],
    ) -> ThreadRead:
        return await moderation_service.mark_duplicate(db, principal, thread_id, data)


class PostModerationRoutes(Controller):
    path = "/api/v1/posts/{post_id:int}"
    tags = ["forum"]

    @post("/hide", status_code=200)
    async def hide(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[HideRequest]
    ) -> PostRead:
        return await moderation_service.set_post_hidden(db, principal, post_id, True, data.reason)

    @post("/restore", status_code=200)
    async def restore(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[HideRequest]
    ) -> PostRead:
        return await moderation_service.set_post_hidden(db, principal, post_id, False, data.reason)

    @post("/flags")
    async def flag(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[FlagCreate]
    ) -> FlagRead:
        return await moderation_service.flag_post(db, principal, post_id, data)

    @post("/flags/resolve", status_code=200)
    async def resolve(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[FlagResolve]
    ) -> FlagRead:
        """Staff: hide the post or dismiss its open flags (dismissing restores a post the flags
        hid automatically; one a moderator hid stays hidden)."""
        return await moderation_service.resolve_flags(db, principal, post_id, data)

    @post("/revisions/{revision_id:int}/redact", status_code=200)
    async def redact(
        self,
        db: Db,
        principal: CurrentPrincipal,
        post_id: PathId,
        revision_id: PathId,
        data: JSONBody[RevisionRedact],
    ) -> RevisionRead:
        """Staff: withhold a revision's text from learners (kept for staff with the reason)."""
        return await moderation_service.redact_revision(db, principal, post_id, revision_id, data)


class StaffModerationRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum staff"]

    @get("/moderation/queue")
    async def queue(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> QueuePage:
        return await moderation_service.queue(db, principal, course_id, cursor, limit)

    @get("/moderation/log")
    async def log(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
        action: ActionName = None,
        moderator: QueryId = None,
        learner: QueryId = None,
        learner_name: NameSearch = None,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
    ) -> ModLogPage:
        """Who did what, when and why, newest first; filtered by action, moderator, learner
        (id, or the start of a name or email) and days (UTC, both included)."""
        filters = moderation_service.log_filter(
            action=action, moderator=moderator, learner=learner, learner_name=learner_name,
            since=since, until=until,
        )  # fmt: skip
        return await moderation_service.audit_log(db, principal, course_id, cursor, limit, filters)

    @get("/restrictions")
    async def restrictions(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        user: QueryId = None,
    ) -> RestrictionList:
        return await moderation_service.restrictions(db, principal, course_id, user)

    @get("/members/{user_id:int}/restrictions")
    async def member_restrictions(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, user_id: PathId
    ) -> RestrictionList:
        return await moderation_service.restrictions(db, principal, course_id, user_id)

    @put("/members/{user_id:int}/restrictions")
    async def restrict(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        user_id: PathId,
        data: JSONBody[RestrictionCreate],
    ) -> RestrictionRead:
        """Mute (read-only) or ban a learner, until lifted or for duration_hours."""
        return await moderation_service.restrict(db, principal, course_id, user_id, data)

    @delete("/members/{user_id:int}/restrictions/{kind:str}")
    async def lift(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        user_id: PathId,
        kind: FromPath[str],
    ) -> None:
        await moderation_service.lift(db, principal, course_id, user_id, kind)
