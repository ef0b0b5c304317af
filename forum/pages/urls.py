"""Where the forum's pages live: their /ui route paths and the URLs pages link to."""

from __future__ import annotations

from agora import web

# Route paths, relative to the /ui page router. The course guard reads `course_id`.
SECTION = "forum"  # the layout's navigation entry these pages highlight
COURSE = "/courses/{course_id:int}"
THREAD = COURSE + "/forum/threads/{thread_id:int}"
POST = THREAD + "/posts/{post_id:int}"


def base_url(course_id: int) -> str:
    return f"{web.PAGE_PREFIX}/courses/{course_id}"


def thread_url(course_id: int, thread_id: int) -> str:
    return f"{base_url(course_id)}/forum/threads/{thread_id}"


def export_url(course_id: int) -> str:
    return f"/api/v1/courses/{course_id}/export/participation.csv"


def events_url(course_id: int) -> str:
    return f"/api/v1/courses/{course_id}/events"
