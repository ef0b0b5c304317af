"""Live events per course: a bounded Redis stream for replay, fanned out through Redis pub/sub.

`publish` appends the event to the course's stream (its id becomes the SSE event id) and
publishes it on the course's channel, so every app process serving that course receives it.
`subscribe` subscribes first, then replays what the stream holds after Last-Event-ID, then
follows the channel, skipping anything already replayed: no gap, no duplicate.
Keys hash-tag the course ({course:ID}) so they live on one Redis Cluster slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.datastructures import State
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from agora.errors import Unavailable

log = logging.getLogger("agora.events")

STREAM_MAXLEN = 10_000
# One listener's queue: raw "<event id> <payload>" messages, None when the listener is dropped.
Listener = asyncio.Queue[bytes | None]


def channel(course_id: int) -> str:
    return f"agora:{{course:{course_id}}}:events"


def stream_key(course_id: int) -> str:
    return f"agora:{{course:{course_id}}}:events:log"


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: dict[str, Any]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _order(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


async def publish(redis: Redis, course_id: int, event_type: str, data: dict[str, Any]) -> str:
    """Store and fan out one event; returns its id. Raises RedisError if Redis is down."""
    payload = msgspec.json.encode({"type": event_type, "data": data})
    event_id = _text(
        await redis.xadd(
            stream_key(course_id), {"e": payload}, maxlen=STREAM_MAXLEN, approximate=True
        )
    )
    await redis.publish(channel(course_id), event_id.encode() + b" " + payload)
    return event_id


def _decode(event_id: str, payload: bytes) -> Event:
    body = msgspec.json.decode(payload)
    return Event(event_id, body["type"], body["data"])


async def replay(redis: Redis, course_id: int, after_id: str, *, count: int = 1000) -> list[Event]:
    """Events stored after `after_id` (oldest first, at most `count`)."""
    try:
        entries = await redis.xrange(stream_key(course_id), min=f"({after_id}", count=count)
    except ResponseError:
        return []  # a malformed Last-Event-ID: nothing to replay
    return [_decode(_text(entry_id), fields[b"e"]) for entry_id, fields in entries]


class Hub:
    """One Redis pattern subscription per process, fanned out to every local listener.

    A MOOC course can have thousands of open SSE streams per app process; they share this one
    Redis connection instead of holding one each. Each listener gets a bounded queue: a listener
    that cannot keep up is dropped (its stream ends) and resumes with Last-Event-ID, so a slow
    client never holds memory or delays the others. If Redis goes away every stream ends the
    same way, and clients replay what they missed when they reconnect.
    """

    PATTERN = "agora:{course:*}:events"
    QUEUE_SIZE = 1000

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.listeners: dict[int, set[Listener]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._lock = asyncio.Lock()

    async def _ensure_running(self) -> None:
        async with self._lock:
            if self._task is None or self._task.done():
                self._ready.clear()
                self._task = asyncio.create_task(self._run(), name="agora-events-hub")
            await asyncio.wait_for(self._ready.wait(), timeout=5)
            if self._task.done():
                raise Unavailable("live events are unavailable right now; retry shortly")

    async def _run(self) -> None:
        pubsub = self.redis.pubsub()
        try:
            await pubsub.psubscribe(self.PATTERN)
            self._ready.set()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30)
                if message is None:
                    continue
                self._dispatch(_text(message["channel"]), message["data"])
        except (RedisError, OSError) as error:
            log.warning("live events: Redis subscription lost (%s); streams will resume", error)
        finally:
            self._ready.set()  # wake anyone waiting for a subscription that will not come
            self._close_all()
            with contextlib.suppress(RedisError, OSError, RuntimeError):
                await pubsub.aclose()

    def _dispatch(self, channel_name: str, raw: bytes) -> None:
        try:
            course_id = int(channel_name.split("{course:", 1)[1].split("}", 1)[0])
        except (IndexError, ValueError):
            return
        for queue in list(self.listeners.get(course_id, ())):
            try:
                queue.put_nowait(raw)
            except asyncio.QueueFull:
                self._drop(course_id, queue)

    def _drop(self, course_id: int, queue: Listener) -> None:
        self.listeners.get(course_id, set()).discard(queue)
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(None)

    def _close_all(self) -> None:
        for course_id, queues in list(self.listeners.items()):
            for queue in list(queues):
                self._drop(course_id, queue)

    async def add(self, course_id: int) -> Listener:
        queue: Listener = asyncio.Queue(self.QUEUE_SIZE + 1)
        self.listeners.setdefault(course_id, set()).add(queue)
        try:
            await self._ensure_running()
        except BaseException:
            self.remove(course_id, queue)
            raise
        return queue

    def remove(self, course_id: int, queue: Listener) -> None:
        queues = self.listeners.get(course_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.listeners[course_id]

    def count(self, course_id: int) -> int:
        return len(self.listeners.get(course_id, ()))

    def close(self) -> None:
        """End every local stream (the process is stopping: clients resume on another)."""
        self._close_all()


async def subscribe(
    hub: Hub,
    course_id: int,
    last_event_id: str | None = None,
    *,
    queue: Listener | None = None,
    heartbeat: float = 15.0,
) -> AsyncIterator[Event | None]:
    """Yield the course's events (None every `heartbeat` seconds of silence, to keep proxies
    from closing the connection). Listens first, then replays what the stream holds after
    Last-Event-ID, then follows live events, skipping anything already replayed.

    Pass a `queue` from `hub.add` to listen before the response starts (so an unavailable Redis
    is a 503, not a broken stream); otherwise it is taken here."""
    if queue is None:
        queue = await hub.add(course_id)
    try:
        seen = (0, 0)
        if last_event_id:
            try:
                missed = await replay(hub.redis, course_id, last_event_id)
            except (RedisError, OSError) as error:
                # Redis loading its data or gone: end the stream cleanly; the client comes back
                # with the same Last-Event-ID and gets these events once Redis answers.
                log.warning("live events: cannot replay (%s); the stream ends", error)
                return
            for event in missed:
                seen = _order(event.id)
                yield event
        while True:
            try:
                raw = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield None
                continue
            if raw is None:
                return  # dropped (too slow, or Redis lost): the client resumes
            event_id, _, payload = raw.partition(b" ")
            try:
                if _order(event_id.decode()) <= seen:
                    continue
            except ValueError:
                continue
            yield _decode(event_id.decode(), payload)
    finally:
        hub.remove(course_id, queue)


def hub_for(state: State) -> Hub:
    """The process's hub, kept on the app state (created on first use)."""
    hub = getattr(state, "event_hub", None)
    if hub is None:
        hub = Hub(state.redis)
        state.event_hub = hub
    return hub
