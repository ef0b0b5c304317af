"""How forum fragments answer (whole pages: agora.web.render_view with SECTION)."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Request, Response

from agora import web
from agora.sessions import Principal

SECTION = "forum"


async def render_fragment(
    request: Request[Any, Any, Any],
    db: asyncpg.Connection,
    principal: Principal,
    template: str,
    *,
    section: str = SECTION,
    **context: Any,
) -> Response[Any]:
    """A part of a page, with the layout's shared context (locale, course, role, token)."""
    shared = await web.shared_context(request, db, principal, section)
    return web.fragment(template, **(shared | context))
