"""Deep Linking 2.0: the instructor's picker and the signed LtiDeepLinkingResponse.

agora/ never imports forum/ or peerreview/: each context offers what can be linked through a
`deeplink.SOURCES` list of `Source`s (collected through agora.contexts). The picker page is
rendered with those choices on the server; the return POST checks what was picked, creates the
new board or assignment, and signs the answer, all in the request's one transaction.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar import Request, Response, post
from litestar.datastructures import FormMultiDict
from litestar.types import ControllerRouterHandler
from redis.exceptions import RedisError

from agora import contexts, i18n
from agora.deps import AppSettings, Db, Redis
from agora.error_pages import lti_error_page
from agora.errors import DomainError
from agora.lti import claims as c
from agora.lti import keys
from agora.lti.ags import assignment_resource_id
from agora.lti.launch import LaunchDone
from agora.lti.queries import platforms
from agora.lti.validation import LaunchRejected, check_return_url
from agora.markup import clean_text
from agora.queries import courses as course_queries
from agora.sessions import Principal, select_principal
from agora.web import html_response, render

MAX_ITEMS = 20
MAX_TITLE = 200
MAX_TEXT = 500
LINE_ITEM_TAG = "agora-peer-review"
NEW = "new"


def N_(message: str) -> str:
    """Marks a message id for extraction (pybabel's default keywords); translated where shown."""
    return message


@dataclass(frozen=True)
class Pickable:
    """One thing a link can open: the forum (id None), a board, an assignment."""

    id: int | None
    title: str
    text: str = ""
    score_maximum: float | None = None  # set for graded items: the LMS makes a gradebook column
    # The line item's resourceId for a graded item (a peer-review assignment's by default).
    resource_id: str = ""


@dataclass(frozen=True)
class Source:
    """A kind of item a context offers the picker. `kind` is the launch target kind the link
    carries (agora.web.register_target renders it). Titles and texts marked `localized` are
    gettext message ids, translated into the course language here."""

    kind: str
    heading: str  # message id of the fieldset legend
    list_items: Callable[[asyncpg.Connection, Principal], Awaitable[list[Pickable]]]
    find: Callable[[asyncpg.Connection, Principal, int | None], Awaitable[Pickable | None]]
    create: Callable[[asyncpg.Connection, Principal, str], Awaitable[Pickable]] | None = None
    new_label: str = ""  # message id of the "a new … titled" choice
    default_text: str = ""  # message id of the text an item without a description carries
    localized: bool = False  # the items' own titles/texts are message ids too
    graded: bool = False


class PickError(Exception):
    """What was posted cannot be added: the picker shows `reason` (a message id, formatted
    with `params` once translated) again with `status`."""

    def __init__(self, reason: str, status: int = 400, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.params = params

    def message(self, locale: str) -> str:
        return i18n.translations(locale).gettext(self.reason) % self.params


def sources() -> list[Source]:
    found: list[Source] = contexts.collect("deeplink", "SOURCES")
    return found


@dataclass(frozen=True)
class Picked:
    source: Source
    item: Pickable


# ---- the picker page ---------------------------------------------------------------------


async def _choices(connection: asyncpg.Connection, principal: Principal) -> list[dict[str, Any]]:
    return [
        {"source": source, "items": await source.list_items(connection, principal)}
        for source in sources()
    ]


async def render_picker(
    connection: asyncpg.Connection,
    principal: Principal,
    token: str,
    deep_link: Mapping[str, Any],
    *,
    error: PickError | str = "",
    status: int = 200,
    form: FormMultiDict | None = None,
) -> Response[Any]:
    course = await course_queries.select_course(connection, principal.course_id)
    locale = i18n.choose_locale(principal.locale, course.language if course else None)
    message = error.message(locale) if isinstance(error, PickError) else error
    checked = set(form.getall("item", [])) if form is not None else set()
    titles = {k: v for k, v in form.items() if k.startswith("new_title:")} if form else {}
    body = render(
        "lti/picker.html",
        locale=locale,
        session_token=token,
        course=course,
        multiple=bool(deep_link.get("accept_multiple")),
        choices=await _choices(connection, principal),
        checked=checked,
        titles=titles,
        error=message,
        max_title=MAX_TITLE,
    )
    return html_response(body, status=status, headers={"Cache-Control": "no-store"})


async def picker_response(connection: asyncpg.Connection, done: LaunchDone) -> Response[Any]:
    return await render_picker(connection, done.principal, done.token, done.deep_link or {})


# ---- reading what was picked -------------------------------------------------------------


def _parse_id(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise PickError(N_("This item does not exist."))
    return int(raw)


async def resolve(
    connection: asyncpg.Connection,
    principal: Principal,
    form: FormMultiDict,
    *,
    accept_multiple: bool,
) -> list[Picked]:
    """The picked items, new ones created. Raises PickError (nothing created) on bad input."""
    values = [v for v in form.getall("item", []) if isinstance(v, str)]
    if not values:
        raise PickError(N_("Choose what to add, or cancel."))
    if len(values) > MAX_ITEMS:
        raise PickError(N_("At most %(max)d items can be added at once."), max=MAX_ITEMS)
    if len(values) > 1 and not accept_multiple:
        raise PickError(N_("Your LMS accepts one item at a time: choose one."))
    if len(set(values)) != len(values):
        raise PickError(N_("An item was picked twice."))
    by_kind = {source.kind: source for source in sources()}
    wanted: list[tuple[Source, int | None, str | None]] = []
    for value in values:
        kind, _, raw_id = value.partition(":")
        if kind == NEW:
            source = by_kind.get(raw_id)
            if source is None or source.create is None:
                raise PickError(N_("This item does not exist."))
            raw_title = form.get(f"new_title:{raw_id}")
            title = clean_text(raw_title if isinstance(raw_title, str) else "")
            if not title:
                raise PickError(N_("Give the new item a title."))
            if len(title) > MAX_TITLE:
                raise PickError(N_("A title has at most %(max)d characters."), max=MAX_TITLE)
            wanted.append((source, None, title))
            continue
        source = by_kind.get(kind)
        if source is None:
            raise PickError(N_("This item does not exist."))
        wanted.append((source, _parse_id(raw_id) if raw_id else None, None))
    picked = []
    for source, item_id, new_title in wanted:
        if new_title is not None:
            assert source.create is not None
            item = await source.create(connection, principal, new_title)
        else:
            found = await source.find(connection, principal, item_id)
            if found is None:
                raise PickError(N_("This item does not exist in this course."), 404)
            item = found
        picked.append(Picked(source, item))
    return picked


# ---- the response -----------------------------------------------------------------------


def content_item(
    picked: Picked, settings: AppSettings, locale: str, *, accept_lineitem: bool
) -> dict[str, Any]:
    gettext = i18n.translations(locale).gettext
    source, item = picked.source, picked.item
    title = gettext(item.title) if source.localized else item.title
    text = (gettext(item.text) if source.localized else item.text) or (
        gettext(source.default_text) if source.default_text else ""
    )
    custom = {"agora_target": source.kind}
    if item.id is not None:
        custom["agora_target_id"] = str(item.id)
    result: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": title[:MAX_TITLE],
        "url": settings.base_url + "/lti/launch",
        "custom": custom,
    }
    if text:
        result["text"] = text[:MAX_TEXT]
    graded = source.graded or item.score_maximum is not None
    if graded and item.id is not None and accept_lineitem:
        result["lineItem"] = {
            "scoreMaximum": item.score_maximum,
            "label": title[:MAX_TITLE],
            "resourceId": item.resource_id or assignment_resource_id(item.id),
            "tag": LINE_ITEM_TAG,
        }
    return result


async def response_jwt(
    connection: asyncpg.Connection,
    platform: Mapping[str, Any],
    context: dict[str, Any],
    items: Sequence[dict[str, Any]],
    message: str = "",
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform["client_id"],
        "aud": platform["issuer"],
        "iat": now,
        "exp": now + 600,
        "nonce": secrets.token_urlsafe(16),
        c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
        c.VERSION: "1.3.0",
        c.DEPLOYMENT_ID: context["deployment_id"],
        c.DL_CONTENT_ITEMS: list(items),
    }
    if context.get("data") is not None:
        claims[c.DL_DATA] = context["data"]
    if message:
        claims[c.DL_MSG] = message
    return await keys.sign(connection, claims)


def _error(
    request: Request[Any, Any, Any], reason: str, status: int, principal: Principal | None = None
) -> Response[Any]:
    locale = i18n.choose_locale(principal.locale) if principal and principal.locale else None
    return lti_error_page(request, reason, status, locale=locale)


class _Answered(Exception):
    """The request was answered meanwhile (another tab): undo what this one created."""


@post("/lti/deep-link/return", tags=["lti"], status_code=200)
async def deep_link_return(
    request: Request[Any, Any, Any], db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    """Create what the instructor asked for, sign the picked items as an LtiDeepLinkingResponse
    and auto-post it to the platform; bad input shows the picker again with the problem."""
    form = await request.form()
    token = form.get("session_token") or ""
    principal = await select_principal(db, token) if isinstance(token, str) and token else None
    if principal is None:
        return _error(request, "this page has expired; start deep linking again from the LMS", 401)
    target = principal.target or {}
    if not principal.is_instructor or target.get("kind") != "deep_link":
        return _error(
            request, "only an instructor's deep-linking launch can add content", 403, principal
        )
    key = f"lti:dl:{target.get('id')}"
    try:
        raw = await redis.get(key)
    except (RedisError, OSError):
        return _error(
            request, "Agora is temporarily unavailable; try again in a minute.", 503, principal
        )
    if raw is None:
        return _error(
            request, "this deep-linking request expired or was already answered", 410, principal
        )
    context = json.loads(raw)
    if context["course_id"] != principal.course_id:
        return _error(
            request, "this deep-linking request belongs to another course", 403, principal
        )
    platform = await platforms.select_platform(db, context["platform_id"])
    if platform is None:
        return _error(
            request, "the platform of this request is no longer registered", 410, principal
        )
    course = await course_queries.select_course(db, principal.course_id)
    locale = i18n.choose_locale(principal.locale, course.language if course else None)
    try:
        # A savepoint: a refused item undoes the ones created before it.
        async with db.transaction():
            picked = [] if form.get("cancel") else await resolve(
                db, principal, form, accept_multiple=bool(context.get("accept_multiple"))
            )  # fmt: skip
            if await redis.getdel(key) is None:
                raise _Answered
    except PickError as error:
        return await render_picker(
            db, principal, token, context, error=error, status=error.status, form=form
        )
    except DomainError as error:
        return await render_picker(
            db, principal, token, context, error=error.detail, status=error.status, form=form
        )
    except _Answered:
        return _error(
            request, "this deep-linking request expired or was already answered", 410, principal
        )
    except (RedisError, OSError):
        return _error(
            request, "Agora is temporarily unavailable; try again in a minute.", 503, principal
        )
    accept_lineitem = bool(context.get("accept_lineitem"))
    items = [content_item(p, settings, locale, accept_lineitem=accept_lineitem) for p in picked]
    gettext = i18n.translations(locale).gettext
    message = "" if items else gettext(N_("Nothing was added."))
    # Checked at launch; again here, where the browser is sent (the registration may have
    # changed since).
    try:
        return_url = check_return_url(context["return_url"], dict(platform))
    except LaunchRejected as error:
        return _error(request, error.reason, 400, principal)
    jwt = await response_jwt(db, dict(platform), context, items, message)
    body = render(
        "lti/autopost.html",
        locale=locale,
        action=return_url,
        fields={"JWT": jwt},
        title=gettext(N_("Adding to your course…")),
    )
    return html_response(body, headers={"Cache-Control": "no-store"})


ROUTES: list[ControllerRouterHandler] = [deep_link_return]
