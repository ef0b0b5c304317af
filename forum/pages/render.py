"""How forum pages answer: a whole page from a view (template and context), or a fragment.

A view is what one page shows; the launch page renders the same views (see __init__.py).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg
from litestar import Request, Response

from agora import web
from agora.sessions import Principal

View: TypeAlias = tuple[str, dict[str, Any]]
SECTION = "forum"


async def render_view(
    request: Request[Any, Any, Any],
    db: asyncpg.Connection,
    principal: Principal,
    view: View,
    **extra: Any,
) -> Response[Any]:
    """The view as a page (or, for an htmx request that swaps part of it, its fragment)."""
    template, context = view
    section = context.pop("section", SECTION)
    return await web.render_page(
        request, db, principal, template, section=section, **context, **extra
    )


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
