"""Where every forum call starts: the course's forum settings and the viewer's standing in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec
from redis.asyncio import Redis

from agora import ratelimit
from agora.errors import Forbidden, NotFound, RateLimited
from agora.queries.courses import CourseView
from agora.sessions import Principal
from forum import rules
from forum.queries import context as context_sql
from forum.queries.posts import PostDetail
from forum.rules import Viewer
from forum.schemas import ForumSettings

DAY = 86_400


def forum_settings(raw: Any) -> ForumSettings:
    """The course's forum settings (`courses.settings['forum']`), defaults where unset."""
    try:
        return msgspec.convert(raw or {}, ForumSettings, strict=False)
    except msgspec.ValidationError:
        return ForumSettings()  # a malformed course setting must not take the forum down


def require_read(restrictions: frozenset[str]) -> None:
    if not rules.can_read_forum(restrictions):
        raise Forbidden("you are banned from this course's forum")


def require_write(restrictions: frozenset[str]) -> None:
    require_read(restrictions)
    if not rules.can_write_forum(restrictions):
        raise Forbidden("you are muted in this course's forum: you can read but not post")


@dataclass(frozen=True)
class Context:
    """The course's forum settings and the viewer's standing in it; `course` as pages show it,
    so a page that loaded the context renders without looking the course up again."""

    settings: ForumSettings
    search_config: str
    restrictions: frozenset[str]
    course: CourseView

    def require_read(self) -> None:
        require_read(self.restrictions)

    def require_write(self) -> None:
        require_write(self.restrictions)


async def load_context(
    conn: asyncpg.Connection, principal: Principal, course_id: int | None = None
) -> Context:
    """The principal's course's Context (404 if `course_id` is given and is another course)."""
    if course_id is not None:
        principal.require_course(course_id)
    row = await context_sql.select_viewer(conn, principal.course_id, principal.user_id)
    if row is None:
        raise NotFound("no such course")
    return context_from(row)


async def load_context_and_post(
    conn: asyncpg.Connection, principal: Principal, post_id: int
) -> tuple[Context, PostDetail | None]:
    """The Context and the post an action is about, its thread row locked, in one round trip
    (see forum.queries.context.VIEWER_POST_SQL for when that may be used)."""
    row, post = await context_sql.select_viewer_and_post(
        conn, principal.course_id, principal.user_id, post_id
    )
    if row is None:
        raise NotFound("no such course")
    return context_from(row), post


def context_from(row: Any) -> Context:
    course = CourseView(
        id=row["course_id"], title=row["course_title"], label=row["course_label"],
        language=row["course_language"], settings=row["course_settings"],
    )  # fmt: skip
    return Context(
        forum_settings(row["forum_settings"]),
        row["search_config"],
        frozenset(row["restrictions"]),
        course,
    )


def require_staff(viewer: Viewer) -> None:
    if not rules.can_moderate(viewer):
        raise Forbidden("only instructors and teaching assistants can do this")


async def rate_limit_post(
    redis: Redis | None,
    principal: Principal,
    ctx: Context,
    *,
    new_thread: bool,
    thread_id: int | None = None,
) -> None:
    """A minimum gap between posts, slow mode in a thread (a gap between one's replies there),
    and a daily quota of new threads (learners only). Slow mode is checked first, so a reply
    it refuses does not use up the course-wide gap."""
    if not rules.is_rate_limited(principal):
        return
    if thread_id is not None and ctx.settings.slow_mode_seconds:
        try:
            await ratelimit.enforce_gap(
                redis, principal.course_id, f"slow:{thread_id}", principal.user_id,
                ctx.settings.slow_mode_seconds,
            )  # fmt: skip
        except RateLimited as limited:
            wait = limited.headers["Retry-After"]
            raise RateLimited(
                f"slow mode: wait {wait} s before replying in this thread again",
                retry_after=int(wait),
            ) from None
    await ratelimit.enforce_gap(
        redis, principal.course_id, "post", principal.user_id, ctx.settings.post_interval_seconds
    )
    if new_thread:
        await ratelimit.enforce_quota(
            redis,
            principal.course_id,
            "threads",
            principal.user_id,
            limit=ctx.settings.threads_per_day,
            window=DAY,
        )
