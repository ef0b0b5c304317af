"""Graded boards in the JSON API: the rule (instructors), a learner's standing, staff scores,
and sending the scores to the LMS gradebook now."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post, put
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.names import NameSearch
from agora.params import Cursor, Limit, PathId
from forum.schemas import (
    BoardGradingRead,
    BoardGradingUpdate,
    BoardLearnerGrade,
    BoardLearnerGradePage,
    BoardProgress,
    BoardScoreUpdate,
)
from forum.service import grading as grading_service


class GradingRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}/boards/{board_id:int}/grading"
    tags = ["forum grading"]

    @get()
    async def rule(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, board_id: PathId
    ) -> BoardGradingRead:
        return await grading_service.get_grading(db, principal, course_id, board_id)

    @put()
    async def set_rule(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        board_id: PathId,
        data: JSONBody[BoardGradingUpdate],
    ) -> BoardGradingRead:
        """Grade participation in this board (instructors); the scores follow to the LMS."""
        return await grading_service.set_grading(db, principal, course_id, board_id, data)

    @delete(status_code=204)
    async def remove_rule(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, board_id: PathId
    ) -> None:
        await grading_service.remove_grading(db, principal, course_id, board_id)

    @get("/progress")
    async def my_progress(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, board_id: PathId
    ) -> BoardProgress:
        """The viewer's qualifying threads and replies, and their score so far."""
        found = await grading_service.progress(db, principal, course_id, board_id)
        if found is None:
            await grading_service.get_grading(db, principal, course_id, board_id)  # the 404
        assert found is not None
        return found

    @get("/learners")
    async def learners(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        board_id: PathId,
        cursor: Cursor = None,
        limit: Limit = None,
        q: NameSearch = None,
    ) -> BoardLearnerGradePage:
        """Staff: each learner's counts and score, by user id; `q` the start of a name/email."""
        return await grading_service.learner_grades(
            db, principal, course_id, board_id, cursor, limit, q
        )

    @put("/learners/{user_id:int}")
    async def give_score(
        self,
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        board_id: PathId,
        user_id: PathId,
        data: JSONBody[BoardScoreUpdate],
    ) -> BoardLearnerGrade:
        """Staff grade a learner on a 'staff' board; the score goes to the LMS."""
        return await grading_service.give_score(db, principal, course_id, board_id, user_id, data)

    @post("/send", status_code=202)
    async def send(
        self, db: Db, principal: CurrentPrincipal, course_id: PathId, board_id: PathId
    ) -> Response[None]:
        """Staff: recompute and send this board's scores to the LMS now."""
        await grading_service.send_now(db, principal, course_id, board_id)
        return Response(None, status_code=202)
