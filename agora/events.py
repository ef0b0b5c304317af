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

import msgspec
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger("agora.events")

STREAM_MAXLEN = 10_000


def channel(course_id: int) -> str:
    return f"agora:{{course:{course_id}}}:events"


def stream_key(course_id: int) -> str:
    return f"agora:{{course:{course_id}}}:events:log"


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: dict


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _order(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


async def publish(redis, course_id: int, event_type: str, data: dict) -> str:
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


async def replay(redis, course_id: int, after_id: str, *, count: int = 1000) -> list[Event]:
    """Events stored after `after_id` (oldest first, at most `count`)."""
    try:
        entries = await redis.xrange(stream_key(course_id), min=f"({after_id}", count=count)
    except ResponseError:
        return []  # a malformed Last-Event-ID: nothing to replay
    return [_decode(_text(entry_id), fields[b"e"]) for entry_id, fields in entries]


async def subscribe(
    redis, course_id: int, last_event_id: str | None = None, *, heartbeat: float = 15.0
) -> AsyncIterator[Event | None]:
    """Yield the course's events (None every `heartbeat` seconds of silence, to keep proxies
    from closing the connection)."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel(course_id))
    try:
        seen = (0, 0)
        if last_event_id:
            for event in await replay(redis, course_id, last_event_id):
                seen = _order(event.id)
                yield event
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=heartbeat)
            if message is None:
                yield None
                continue
            raw = message["data"]
            event_id, _, payload = raw.partition(b" ")
            event_id = event_id.decode()
            try:
                if _order(event_id) <= seen:
                    continue
            except ValueError:
                continue
            yield _decode(event_id, payload)
    finally:
        with contextlib.suppress(RedisError, OSError, asyncio.CancelledError):
            await pubsub.unsubscribe()
            await pubsub.aclose()
