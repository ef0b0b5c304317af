"""Server-rendered pages: the Jinja environment, the shared layout, static files, the launch page.

Every page carries the session token in <meta name="agora-session">; agora.js makes htmx send it as
`Authorization: Bearer` on every request, and in-app navigation goes through htmx (hx-boost), so
nothing depends on third-party cookies: the launch's partitioned session cookie only spares a
reload or a back/forward the trip through the token kept in the tab. Page handlers take the usual
`principal` dependency. Templates hold no inline script or style (agora.headers sets a strict
Content-Security-Policy): scripts are static files that read data-* attributes.

forum/pages.py and peerreview/pages.py register their template folders (as "forum/…",
"peerreview/…") and the renderers the launch page uses for their targets; agora imports neither.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import asyncpg
import msgspec
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    select_autoescape,
)
from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.plugins.htmx import HTMXDetails, HTMXHeaders
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler
from markupsafe import Markup, escape

from agora import i18n, remote_images
from agora.deps import CurrentPrincipal, Db, Redis
from agora.errors import BadRequest, NotFound
from agora.markup import render_markdown
from agora.queries import courses as course_queries
from agora.queries.courses import CourseView
from agora.ratelimit import enforce_quota
from agora.schemas import MAX_ID
from agora.sessions import Principal, token_from

log = logging.getLogger("agora.web")
TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
PAGE_PREFIX = "/ui"
PREVIEW_MAX_CHARS = 50_000
PREVIEW_PER_MINUTE = 30

S = TypeVar("S", bound=msgspec.Struct)
AnyRequest: TypeAlias = Request[Any, Any, Any]
Context: TypeAlias = dict[str, Any]
# What one page shows: its template and context. Page handlers and the launch page render the
# same views.
View: TypeAlias = tuple[str, Context]
# kind → async (connection, principal, target id or None) → the view the launch page shows.
TargetRenderer: TypeAlias = Callable[[asyncpg.Connection, Principal, int | None], Awaitable[View]]
_prefixed_dirs: dict[str, Path] = {}
_globals: dict[str, Any] = {}
_targets: dict[str, TargetRenderer] = {}


def register_templates(prefix: str, directory: Path) -> None:
    """A context's templates, reachable as "<prefix>/<name>.html"."""
    _prefixed_dirs[prefix] = directory
    environment.cache_clear()


def register_global(name: str, value: Any) -> None:
    """A function or value every template can use (a context's own helpers, e.g. the forum's
    per-post fragments)."""
    _globals[name] = value
    environment.cache_clear()


def register_target(kind: str, renderer: TargetRenderer) -> None:
    """What the launch page shows for a resource-link target kind (forum, board, thread, …)."""
    _targets[kind] = renderer


@lru_cache(maxsize=len(i18n.SUPPORTED) + 1)
def environment(locale: str = i18n.DEFAULT) -> Environment:
    """One environment per language: gettext and date filters bound to that locale."""
    loaders: list[BaseLoader] = [FileSystemLoader(str(TEMPLATE_DIR))]
    if _prefixed_dirs:
        loaders.append(
            PrefixLoader({p: FileSystemLoader(str(d)) for p, d in _prefixed_dirs.items()})
        )
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True  # msgids as extracted with babel.cfg's trimmed
    # Added by the i18n extension above, so not on Environment's type.
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(i18n.date_formatters(locale))
    env.filters["snippet"] = snippet_html
    env.globals.update(static=static_url, locale=locale, ui=PAGE_PREFIX)
    env.globals.update(_globals)
    return env


def snippet_html(text: str) -> Markup:
    """A search snippet: everything escaped except the <mark>/<b> highlights search adds.

    Idempotent on already-escaped snippets (unescaped first, then escaped once)."""
    escaped = str(escape(html.unescape(text or "")))
    for tag in ("mark", "b"):
        escaped = escaped.replace(f"&lt;{tag}&gt;", "<mark>").replace(f"&lt;/{tag}&gt;", "</mark>")
    return Markup(escaped)


def render(template: str, *, locale: str = i18n.DEFAULT, **context: Any) -> str:
    """Render in `locale`; any spelling ('fr-CA', '') is reduced to a supported language."""
    return environment(i18n.choose_locale(locale)).get_template(template).render(**context)


def html_response(
    body: str, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response[str]:
    headers = {"Cache-Control": "no-store"} | (headers or {})
    return Response(body, status_code=status, media_type=MediaType.HTML, headers=headers)


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """/static/<path>?v=<content hash>: files are cached for a year, a new release busts it."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


# ---- the page context every page shares ----------------------------------------------------


async def page_context(
    connection: asyncpg.Connection,
    principal: Principal,
    token: str,
    section: str = "",
    course: CourseView | None = None,
) -> Context:
    """`course` when the handler already loaded it (one lookup per request)."""
    if course is None:
        course = await course_queries.select_course(connection, principal.course_id)
    if course is None:
        raise NotFound("no such course")
    locale = i18n.choose_locale(principal.locale, course.language)
    return {
        "locale": locale,
        "course": course,
        "principal": principal,
        "session_token": token,
        "section": section,
        "base": f"{PAGE_PREFIX}/courses/{course.id}",
    }


async def render_page(
    request: AnyRequest,
    connection: asyncpg.Connection,
    principal: Principal,
    template: str,
    *,
    section: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
    course: CourseView | None = None,
    **context: Any,
) -> Response[str]:
    """A page (or, for a targeted htmx request, the same template's fragment) with the layout's
    shared context: course, locale, role, token."""
    shared = await shared_context(request, connection, principal, section, course)
    body = render(template, **(shared | context))
    return html_response(body, status=status, headers=headers)


async def render_view(
    request: AnyRequest,
    connection: asyncpg.Connection,
    principal: Principal,
    view: View,
    *,
    section: str = "",
    **extra: Any,
) -> Response[str]:
    """A view as a page (or its fragment, for an htmx request that swaps part of it); the view's
    own "section" wins over `section`; `extra` adds to its context."""
    template, context = view
    section = context.pop("section", section)
    return await render_page(
        request, connection, principal, template, section=section, **(context | extra)
    )


async def render_fragment(
    request: AnyRequest,
    connection: asyncpg.Connection,
    principal: Principal,
    template: str,
    *,
    section: str,
    course: CourseView | None = None,
    **context: Any,
) -> Response[str]:
    """A part of a page, with the layout's shared context (locale, course, role, token)."""
    shared = await shared_context(request, connection, principal, section, course)
    return fragment(template, **(shared | context))


def push_url(response: Response[str], url: str) -> Response[str]:
    """Have htmx put `url` in the address bar (a form post answered with a new page)."""
    response.headers[HTMXHeaders.PUSH_URL.value] = url
    return response


def is_fragment_request(request: AnyRequest) -> bool:
    """An htmx request that swaps a part of the page (not a boosted navigation or history load)."""
    htmx = HTMXDetails(request)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


async def shared_context(
    request: AnyRequest,
    connection: asyncpg.Connection,
    principal: Principal,
    section: str = "",
    course: CourseView | None = None,
) -> Context:
    """The layout's context for this request (course, locale, role, token, fragment or page)."""
    token = token_from(request) or ""
    shared = await page_context(connection, principal, token, section, course)
    shared["fragment"] = is_fragment_request(request)
    return shared


def fragment(template: str, **context: Any) -> Response[str]:
    """A part of a page; `context` holds the shared page context (locale included)."""
    return html_response(render(template, **context))


# ---- forms posted by pages --------------------------------------------------------------------


async def form_fields(request: AnyRequest) -> dict[str, str]:
    """The posted form as strings (a repeated field keeps its last value)."""
    form = await request.form()
    fields = {key: str(value) for key, value in form.items()}
    if any("\x00" in key or "\x00" in value for key, value in fields.items()):
        raise BadRequest("a form field holds a NUL character")  # PostgreSQL text cannot
    return fields


def convert_form(raw: dict[str, Any], struct: type[S]) -> S:
    """Form values into an input Struct, converting strings; 400 problem saying what is wrong."""
    try:
        return msgspec.convert(raw, struct, strict=False)
    except msgspec.ValidationError as error:
        raise BadRequest(str(error)) from None


def form_checked(value: str | None) -> bool:
    """A form's on/off value: "1", "true" or "on" (a ticked checkbox) is on."""
    return value in ("1", "true", "on")


async def form_struct(request: AnyRequest, struct: type[S], **fixed: Any) -> S:
    """A form post decoded into an input Struct. Only the Struct's fields are taken; empty
    strings mean "not given" so defaults apply; `fixed` values override the form."""
    fields = set(struct.__struct_fields__)
    raw = {k: v for k, v in (await form_fields(request)).items() if k in fields and v != ""}
    return convert_form(raw | fixed, struct)


# ---- the launch page -------------------------------------------------------------------------


async def launch_response(
    connection: asyncpg.Connection, principal: Principal, token: str
) -> Response[str]:
    """The page a successful LTI launch answers with: the target page itself (forum home, board,
    thread or assignment), carrying the session token for every later request."""
    target = principal.target or {}
    kind = target.get("kind") or "forum"
    renderer = _targets.get(kind) or _targets.get("forum")
    shared = await page_context(connection, principal, token)
    if renderer is None:
        template, context = "launch.html", {"target": target}
    else:
        try:
            raw_id = target.get("id")
            target_id = None if raw_id is None else launch_target_id(raw_id)
            template, context = await renderer(connection, principal, target_id)
        except NotFound:
            # The linked board/thread/assignment is gone: land on the forum home instead.
            template, context = await _targets["forum"](connection, principal, None)
    body = render(template, **(shared | {"fragment": False, "launched": True} | context))
    return html_response(body)


def launch_target_id(value: object) -> int:
    """An id from a launch target (the LMS stored it in the link): an id that cannot exist is
    "not found", so the launch lands on the forum home instead of failing."""
    try:
        number = int(str(value))  # an int or a numeric string; anything else raises
    except (TypeError, ValueError):
        raise NotFound("no such target") from None
    if not 1 <= number <= MAX_ID:
        raise NotFound("no such target")
    return number


def page_router(*handlers: ControllerRouterHandler) -> Router:
    """Page handlers under /ui. Their errors render as HTML pages (a message htmx shows in
    place): the app's exception handlers see the /ui path (agora.error_pages)."""
    return Router(path=PAGE_PREFIX, route_handlers=list(handlers), include_in_schema=False)


# ---- shared page endpoints -------------------------------------------------------------------


@post("/preview", status_code=200, media_type=MediaType.HTML)
async def markdown_preview(
    request: AnyRequest, principal: CurrentPrincipal, redis: Redis, db: Db
) -> Response[str]:
    """What a Markdown draft will look like (rendered and cleaned exactly as it will be stored).

    The form field to preview is named by `_field` (editors of different forms share this).
    Only people with a session may use the renderer, each a bounded number of times a minute:
    a render costs up to a few hundred ms of a worker process."""
    await enforce_quota(
        redis, principal.course_id, "preview", principal.user_id,
        limit=PREVIEW_PER_MINUTE, window=60,
    )  # fmt: skip
    form = await form_fields(request)
    field = form.get("_field") or "body"
    text = form.get(field, "")[:PREVIEW_MAX_CHARS]
    rendered = await render_markdown(text)
    # Its remote images are shown through the proxy like a stored post's: recorded for it (a
    # member previewing a URL may as well have posted it).
    await remote_images.remember(db, rendered)
    return html_response(rendered)


static_router = create_static_files_router(
    path="/static",
    directories=[STATIC_DIR],
    cache_control=CacheControlHeader(max_age=31_536_000, public=True),
    include_in_schema=False,
)


@get("/courses/{course_id:int}/{rest:path}", media_type=MediaType.HTML)
async def unknown_course_page(principal: CurrentPrincipal) -> Response[str]:
    """Any /ui/courses/<id>/... address no page answers (every real page's route is more
    specific and wins): a 404 page in the session's language with the way back to the course,
    rather than the router's bare 404 that knows neither."""
    raise NotFound("no such page")


ROUTES: list[ControllerRouterHandler] = [
    static_router,
    page_router(markdown_preview, unknown_course_page),
]
