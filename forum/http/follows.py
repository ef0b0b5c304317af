"""Following a thread, a board or (staff) the whole course, to be notified of what is new."""

from __future__ import annotations

from litestar import Controller, delete, put

from agora.deps import CurrentPrincipal, Db
from agora.params import PathId
from forum.schemas import FollowRead
from forum.service import follows as follows_service


class CourseFollowRoutes(Controller):
    """Boards and the course; the principal dependency already refused another course's id."""

    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @put("/boards/{board_id:int}/follow")
    async def follow_board(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, board_id: PathId
    ) -> FollowRead:
        return await follows_service.set_follow(db, principal, "board", board_id, True)

    @delete("/boards/{board_id:int}/follow", status_code=200)
    async def unfollow_board(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, board_id: PathId
    ) -> FollowRead:
        return await follows_service.set_follow(db, principal, "board", board_id, False)

    @put("/follow")
    async def follow_course(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId
    ) -> FollowRead:
        """Staff: be notified of every new thread in the course."""
        return await follows_service.set_follow(db, principal, "course", 0, True)

    @delete("/follow", status_code=200)
    async def unfollow_course(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId
    ) -> FollowRead:
        return await follows_service.set_follow(db, principal, "course", 0, False)


class ThreadFollowRoutes(Controller):
    path = "/api/v1/threads/{thread_id:int}"
    tags = ["forum"]

    @put("/follow")
    async def follow(self, db: Db, principal: CurrentPrincipal, thread_id: PathId) -> FollowRead:
        return await follows_service.set_follow(db, principal, "thread", thread_id, True)

    @delete("/follow", status_code=200)
    async def unfollow(self, db: Db, principal: CurrentPrincipal, thread_id: PathId) -> FollowRead:
        return await follows_service.set_follow(db, principal, "thread", thread_id, False)
