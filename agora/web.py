"""Server-rendered pages: the Jinja environment, the shared layout, and the launch landing page.

The launch page carries the session token in <meta name="agora-session"> so the UI can send it as
a Bearer header on every request: nothing depends on third-party cookies.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import asyncpg
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Response

from agora.sessions import Principal

TEMPLATE_DIRS = [Path(__file__).parent / "templates"]


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(default=True),
        enable_async=False,
    )


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def html_response(body: str, *, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body, status_code=status, media_type="text/html", headers=headers or {})


async def launch_response(
    connection: asyncpg.Connection, principal: Principal, token: str
) -> Response:
    """The page a successful LTI launch answers with (target: forum, board, thread, assignment)."""
    row = await connection.fetchrow("SELECT title FROM courses WHERE id = $1", principal.course_id)
    body = render(
        "launch.html",
        locale=principal.locale or "en",
        session_token=token,
        course_id=principal.course_id,
        course_title=row["title"] if row else "",
        user_name=principal.name,
        role=principal.role,
        target=principal.target,
    )
    return html_response(body, headers={"Cache-Control": "no-store"})


ROUTES: list = []
