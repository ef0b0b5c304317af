"""Votes on posts, the asker's accepted answer and staff endorsement."""

from __future__ import annotations

from litestar import Controller, delete, put
from litestar.params import JSONBody

from agora.deps import CurrentPrincipal, Db
from agora.params import PathId
from forum.schemas import PostRead, VoteRead, VoteRequest
from forum.service import votes as votes_service


class VoteRoutes(Controller):
    path = "/api/v1/posts/{post_id:int}"
    tags = ["forum"]

    @put("/vote")
    async def vote(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId, data: JSONBody[VoteRequest]
    ) -> VoteRead:
        """value 1 votes up, 0 takes the vote back."""
        return await votes_service.vote(db, principal, post_id, data.value)

    @put("/accept")
    async def accept(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await votes_service.accept_answer(db, principal, post_id, True)

    @delete("/accept", status_code=200)
    async def unaccept(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await votes_service.accept_answer(db, principal, post_id, False)

    @put("/endorse")
    async def endorse(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await votes_service.endorse(db, principal, post_id, True)

    @delete("/endorse", status_code=200)
    async def unendorse(self, db: Db, principal: CurrentPrincipal, post_id: PathId) -> PostRead:
        return await votes_service.endorse(db, principal, post_id, False)
