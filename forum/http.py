"""Forum JSON API under /api/v1 (collected by agora.app). Handlers: Struct in, one call, out."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import (
    FromPath,
    FromQuery,
    HeaderParameter,
    JSONBody,
    PathParameter,
    QueryParameter,
)
from litestar.response import ServerSentEvent, ServerSentEventMessage, Stream

from agora.deps import CurrentPrincipal, Db, Redis
from agora.errors import BadRequest
from agora.events import hub_for, subscribe
from forum import activity, live, moderation, service
from forum.schemas import (
    BoardCreate,
    BoardRead,
    BoardUpdate,
    FlagCreate,
    FlagRead,
    FlagResolve,
    FollowRead,
    HideRequest,
    LearnerStatsPage,
    ModLogPage,
    NotificationPage,
    NotificationsMark,
    PostCreate,
    PostPage,
    PostRead,
    PostUpdate,
    QueuePage,
    ReadMark,
    RestrictionCreate,
    RestrictionList,
    RestrictionRead,
    RevisionPage,
    SearchPage,
    SimilarPage,
    ThreadCreate,
    ThreadDuplicate,
    ThreadMove,
    ThreadPage,
    ThreadRead,
    ThreadStateChange,
    ThreadUpdate,
    VoteRead,
    VoteRequest,
)

# Ids beyond bigint are 400, not a database error.
PathId = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)]
Cursor = Annotated[str | None, QueryParameter(max_length=500)]
Limit = Annotated[int | None, QueryParameter(ge=1, le=500)]
FILTERS = frozenset({"unread", "unanswered", "unresponded", "following", "mine", "flagged"})


def parse_filters(value: str | None) -> frozenset[str]:
    names = frozenset(f.strip() for f in (value or "").split(",") if f.strip())
    unknown = names - FILTERS
    if unknown:
        raise BadRequest(f"unknown filter {sorted(unknown)}; use {', '.join(sorted(FILTERS))}")
    return names


class BoardRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @get("/boards")
    async def list_boards(self, db: Db, principal: CurrentPrincipal, course_id: PathId) -> dict:
        """The course's boards with thread and unread-thread counts (default board first made)."""
        return {"items": await service.list_boards(db, principal, course_id), "next_cursor": None}

    @post("/boards")
    async def create_board(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, data: JSONBody[BoardCreate]
    ) -> BoardRead:
        return await service.create_board(db, principal, course_id, data)

    @patch("/boards/{board_id:int}")
    async def update_board(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        board_id: PathId,
        data: JSONBody[BoardUpdate],
    ) -> BoardRead:
        """Rename, reorder or archive a board (instructors)."""
        return await service.update_board(db, principal, course_id, board_id, data)

    @put("/boards/{board_id:int}/follow")
    async def follow_board(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, board_id: PathId
    ) -> FollowRead:
        principal.require_course(course_id)
        return await service.set_follow(db, principal, "board", board_id, True)

    @delete("/boards/{board_id:int}/follow", status_code=200)
    async def unfollow_board(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, board_id: PathId
    ) -> FollowRead:
        principal.require_course(course_id)
        return await service.set_follow(db, principal, "board", board_id, False)

    @put("/follow")
    async def follow_course(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId
    ) -> FollowRead:
        """Staff: be notified of every new thread in the course."""
        principal.require_course(course_id)
        return await service.set_follow(db, principal, "course", 0, True)

    @delete("/follow", status_code=200)
    async def unfollow_course(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId
    ) -> FollowRead:
        principal.require_course(course_id)
        return await service.set_follow(db, principal, "course", 0, False)


class CourseThreadRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @get("/threads")
    async def list_threads(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        sort: FromQuery[Literal["activity", "new", "votes", "replies"]] = "activity",
        board: QueryId = None,
        kind: FromQuery[Literal["discussion", "question", "notes"] | None] = None,
        filter: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> ThreadPage:
        """Threads, pinned first, by sort; filters: comma-separated unread, unanswered,
        unresponded, following, mine, flagged (staff)."""
        return await service.list_threads(
            db,
            principal,
            course_id,
            sort=sort,
            board_id=board,
            kind=kind,
            filters=parse_filters(filter),
            cursor=cursor,
            limit=limit,
        )

    @post("/threads")
    async def create_thread(
        self,
        db: Db,
        redis: Redis,
        principal: CurrentPrincipal,
        course_id: PathId,
        data: JSONBody[ThreadCreate],
    ) -> ThreadRead:
        return await service.create_thread(db, redis, principal, course_id, data)

    @get("/threads/similar")
    async def similar(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        title: Annotated[str, QueryParameter(max_length=300)],
        limit: Limit = None,
    ) -> SimilarPage:
        """Threads whose titles resemble `title`, to suggest while typing a new one."""
        return await service.similar_threads(db, principal, course_id, title, limit)

    @get("/search")
    async def search(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        q: Annotated[str, QueryParameter(max_length=200)],
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> SearchPage:
        """Full-text search (web-search syntax), ranked, with <mark>ed snippets."""
        return await service.search(db, principal, course_id, q, cursor, limit)


class ThreadRoutes(Controller):
    path = "/api/v1/threads/{thread_id:int}"
    tags = ["forum"]

    @get()
    async def read(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> ThreadRead:
        """The thread and a page of its posts in tree order (next pages: next_cursor)."""
        return await service.read_thread(db, principal, thread_id, cursor=cursor, limit=limit)

    @patch()
    async def update(
        self, db: Db, principal: CurrentPrincipal, thread_id: PathId, data: JSONBody[ThreadUpdate]
    ) -> ThreadRead:
        """Edit the title and/or opening post (a revision is kept)."""
        return await service.update_thread(db, principal, thread_id, data)

    @post("/state", status_code=200)
    async def state(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[ThreadStateChange],
    ) -> ThreadRead:
        """Staff: pin, lock, close, hide and their undoing, with a reason."""
        return await service.change_thread_state(db, principal, thread_id, data)

    @post("/move", status_code=200)
    async def move(
        self, db: Db, principal: CurrentPrincipal, thread_id: PathId, data: JSONBody[ThreadMove]
    ) -> ThreadRead:
        return await service.move_thread(db, principal, thread_id, data)

    @post("/duplicate", status_code=200)
    async def duplicate(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[ThreadDuplicate],
    ) -> ThreadRead:
        return await service.mark_duplicate(db, principal, thread_id, data)

    @put("/follow")
    async def follow(self, db: Db, principal: CurrentPrincipal, thread_id: PathId) -> FollowRead:
        return await service.set_follow(db, principal, "thread", thread_id, True)

    @delete("/follow", status_code=200)
    async def unfollow(self, db: Db, principal: CurrentPrincipal, thread_id: PathId) -> FollowRead:
        return await service.set_follow(db, principal, "thread", thread_id, False)

    @put("/read")
    async def read_mark(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[ReadMark | None] = None,
    ) -> dict:
        """Mark the thread read up to `seq` (default: everything so far)."""
        return await service.mark_read(db, principal, thread_id, data.seq if data else None)

    @get("/posts")
    async def posts(
        self,
        db: Db,
        principal: CurrentPrincipal,
        thread_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> PostPage:
        return await service.list_posts(db, principal, thread_id, cursor, limit)

    @post("/posts")
    async def reply(
        self,
        db: Db,
        redis: Redis,
        principal: CurrentPrincipal,
        thread_id: PathId,
        data: JSONBody[PostCreate],
    ) -> PostRead:
        """Reply to the thread (parent_id: to a post in it)."""
        return await service.create_post(db, redis, principal, thread_id, data)


class PostRoutes(Controller):
    path = "/api/v1/posts/{post_id:int}"
    tags = ["forum"]

    @get()
    async def read(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await service.get_post(db, principal, post_id)

    @patch()
    async def edit(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[PostUpdate]
    ) -> PostRead:
        return await service.edit_post(db, principal, post_id, data)

    @delete()
    async def remove(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> None:
        """Soft delete (author or staff); the post stays as a placeholder in the tree."""
        await service.delete_post(db, principal, post_id)

    @get("/revisions")
    async def revisions(
        self,
        db: Db,
        principal: CurrentPrincipal,
        post_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> RevisionPage:
        return await service.revisions(db, principal, post_id, cursor, limit)

    @put("/vote")
    async def vote(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[VoteRequest]
    ) -> VoteRead:
        """value 1 votes up, 0 takes the vote back."""
        return await service.vote(db, principal, post_id, data.value)

    @put("/accept")
    async def accept(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await service.accept_answer(db, principal, post_id, True)

    @delete("/accept", status_code=200)
    async def unaccept(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await service.accept_answer(db, principal, post_id, False)

    @put("/endorse")
    async def endorse(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await service.endorse(db, principal, post_id, True)

    @delete("/endorse", status_code=200)
    async def unendorse(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await service.endorse(db, principal, post_id, False)

    @post("/hide", status_code=200)
    async def hide(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[HideRequest]
    ) -> PostRead:
        return await service.set_post_hidden(db, principal, post_id, True, data.reason)

    @post("/restore", status_code=200)
    async def restore(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[HideRequest]
    ) -> PostRead:
        return await service.set_post_hidden(db, principal, post_id, False, data.reason)

    @post("/flags")
    async def flag(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[FlagCreate]
    ) -> FlagRead:
        return await moderation.flag_post(db, principal, post_id, data)

    @post("/flags/resolve", status_code=200)
    async def resolve(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[FlagResolve]
    ) -> FlagRead:
        """Staff: hide the post or dismiss its open flags."""
        return await moderation.resolve_flags(db, principal, post_id, data)


class StaffRoutes(Controller):
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
        return await moderation.queue(db, principal, course_id, cursor, limit)

    @get("/moderation/log")
    async def log(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> ModLogPage:
        return await moderation.audit_log(db, principal, course_id, cursor, limit)

    @get("/restrictions")
    async def restrictions(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        user: QueryId = None,
    ) -> RestrictionList:
        return await moderation.restrictions(db, principal, course_id, user)

    @get("/members/{user_id:int}/restrictions")
    async def member_restrictions(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, user_id: PathId
    ) -> RestrictionList:
        return await moderation.restrictions(db, principal, course_id, user_id)

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
        return await moderation.restrict(db, principal, course_id, user_id, data)

    @delete("/members/{user_id:int}/restrictions/{kind:str}")
    async def lift(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        user_id: PathId,
        kind: FromPath[str],
    ) -> None:
        await moderation.lift(db, principal, course_id, user_id, kind)

    @get("/stats/learners")
    async def stats(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> LearnerStatsPage:
        return await activity.learner_stats(db, principal, course_id, cursor, limit)

    @get("/export/participation.csv")
    async def export(
        self, request: Request, db: Db, principal: CurrentPrincipal, course_id: PathId
    ) -> Stream:
        """Timestamped posts and replies per member (posts anonymous to all are not attributed)."""
        await activity.check_export_allowed(db, principal, course_id)
        return Stream(
            activity.participation_csv(request.app.state.database, principal, course_id),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="participation-{course_id}.csv"'
            },
        )


class MemberRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @get("/notifications")
    async def notifications(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        unread: FromQuery[bool] = False,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> NotificationPage:
        return await activity.notifications(
            db, principal, course_id, unread_only=unread, cursor=cursor, limit=limit
        )

    @post("/notifications/read", status_code=200)
    async def mark(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        data: JSONBody[NotificationsMark],
    ) -> dict:
        return await activity.mark_notifications(db, principal, course_id, data)

    @get("/events")
    async def events(
        self,
        request: Request,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        last_event_id: Annotated[
            str | None, HeaderParameter(name="Last-Event-ID", max_length=64)
        ] = None,
    ) -> ServerSentEvent:
        """Live events (post_created, post_edited, vote_changed, thread_state) as SSE; resume
        with Last-Event-ID. The stream holds no database connection."""
        ctx = await service.context(db, principal, course_id)
        ctx.require_read()

        hub = hub_for(request.app.state)
        queue = await hub.add(course_id)  # 503 now, rather than a stream that breaks

        async def stream():
            async for event in live_events(hub, queue, principal, course_id, last_event_id):
                yield event

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-store"})


async def live_events(hub, queue, principal: CurrentPrincipal, course_id: int, last_event_id):
    """The course's events as SSE messages, each cut down for this viewer (or skipped)."""
    async for event in subscribe(hub, course_id, last_event_id, queue=queue):
        if event is None:
            yield ServerSentEventMessage(comment="keep-alive", data=None)
            continue
        data = live.for_viewer(principal, event)
        if data is not None:
            yield ServerSentEventMessage(
                data=msgspec.json.encode(data).decode(), event=event.type, id=event.id
            )


ROUTES: list = [
    BoardRoutes,
    CourseThreadRoutes,
    ThreadRoutes,
    PostRoutes,
    StaffRoutes,
    MemberRoutes,
]
