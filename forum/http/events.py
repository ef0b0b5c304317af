"""Live events of a course as server-sent events, each cut down for the viewer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from agora.deps import CurrentPrincipal, Db
from agora.events import Hub, hub_for, subscribe
from agora.params import PathId
from agora.sessions import Principal
from forum.service import context as context_service
from forum.service import live as live_service


class EventRoutes(Controller):
    path = "/api/v1/courses/{course_id:int}"
    tags = ["forum"]

    @get("/events")
    async def events(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        course_id: PathId,
        last_event_id: Annotated[
            str | None, HeaderParameter(name="Last-Event-ID", max_length=64)
        ] = None,
    ) -> ServerSentEvent:
        """Live events (post_created, post_edited, vote_changed, thread_state) as SSE; resume
        with Last-Event-ID. The stream holds no database connection."""
        ctx = await context_service.load_context(db, principal, course_id)
        ctx.require_read()

        hub = hub_for(request.app.state)
        queue = await hub.add(course_id)  # 503 now, rather than a stream that breaks

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async for event in live_events(hub, queue, principal, course_id, last_event_id):
                yield event

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-store"})


async def live_events(
    hub: Hub,
    queue: asyncio.Queue[bytes | None],
    principal: Principal,
    course_id: int,
    last_event_id: str | None,
) -> AsyncIterator[ServerSentEventMessage]:
    """The course's events as SSE messages, each cut down for this viewer (or skipped)."""
    async for event in subscribe(hub, course_id, last_event_id, queue=queue):
        if event is None:
            yield ServerSentEventMessage(comment="keep-alive", data=None)
            continue
        data = live_service.for_viewer(principal, event)
        if data is not None:
            yield ServerSentEventMessage(
                data=msgspec.json.encode(data).decode(), event=event.type, id=event.id
            )
