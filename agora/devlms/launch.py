"""The dev LMS's pages and launch flow: the people with their launch buttons, third-party
initiated login, the OIDC authorization endpoint that signs id_tokens, and the deep-linking
return that stores the links the tool sent back."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post, route

from agora import web
from agora.demo import DEV_CLIENT_ID, DEV_DEPLOYMENT_ID, DEV_ISSUER
from agora.deps import AppSettings, Db
from agora.devlms import queries
from agora.devlms.platform import (
    COURSE_TITLE,
    DEEP_LINK_DATA,
    FORUM_LINK,
    PEOPLE,
    launch_claims,
    person,
    public_jwks,
    sign_launch,
    tool_claims,
    urls,
)
from agora.errors import BadRequest, NotFound
from agora.lti import claims as c
from agora.web import html_response, render

web.register_templates("devlms", Path(__file__).parent / "templates")
MAX_ADDED = 20
# The languages the launch page offers (any BCP 47 tag is accepted in the address).
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LOCALE = "en"
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")
HINT_LOCALE = "|locale:"
# Scores as a gradebook shows them: like Canvas or Moodle, to two decimal places.
GRADEBOOK_DECIMALS = 2


def gradebook_points(value: float | None) -> str:
    """9.611858 → '9.61', 6.0 → '6', None → '–' (no score)."""
    if value is None:
        return "–"
    return f"{value:.{GRADEBOOK_DECIMALS}f}".rstrip("0").rstrip(".")


def error_page(reason: str, status: int) -> Response[Any]:
    body = render("lti/error.html", locale="en", reason=reason, status=status)
    return html_response(body, status=status)


@get("/", include_in_schema=False)
async def home(db: Db, request: Request[Any, Any, Any]) -> Response[Any]:
    """People of the demo course with launch buttons, deep linking, and the gradebook."""
    locale = request.query_params.get("locale", DEFAULT_LOCALE)
    body = render(
        "devlms/home.html",
        locale="en",
        languages=LANGUAGES,
        launch_locale=locale if locale in LANGUAGES else DEFAULT_LOCALE,
        points=gradebook_points,
        names={p.sub: p.name for p in PEOPLE},
        people=PEOPLE,
        links=[FORUM_LINK, *await queries.select_links(db)],
        scores=await queries.select_gradebook(db),
        added=request.query_params.get("added"),
        course_title=COURSE_TITLE,
    )
    return html_response(body, headers={"Cache-Control": "no-store"})


@get("/start", include_in_schema=False)
async def start(request: Request[Any, Any, Any], settings: AppSettings) -> Response[Any]:
    """Third-party initiated login: send the browser to the tool's /lti/login. The language the
    launch asks for (`locale`, default en) travels in the message hint, as the person's
    preference would in a real LMS."""
    sub = request.query_params.get("person", "")
    link = request.query_params.get("link", "0")
    locale = request.query_params.get("locale") or DEFAULT_LOCALE
    if person(sub) is None or not (link == "deep" or link.isdigit()):
        raise NotFound("no such person or link")
    if not LANGUAGE_TAG.fullmatch(locale):
        raise BadRequest("locale must be a language tag such as fr or en-GB")
    u = urls(settings)
    query = {
        "iss": DEV_ISSUER,
        "login_hint": sub,
        "target_link_uri": u.launch,
        "lti_message_hint": f"link:{link}{HINT_LOCALE}{locale}",
        "client_id": DEV_CLIENT_ID,
        "lti_deployment_id": DEV_DEPLOYMENT_ID,
    }
    return Response("", status_code=302, headers={"Location": f"{u.login}?{urlencode(query)}"})


@route("/authorize", http_method=["GET", "POST"], include_in_schema=False)
async def authorize(
    request: Request[Any, Any, Any], db: Db, settings: AppSettings
) -> Response[Any]:
    """The platform's OIDC authorization endpoint: answers a form_post of a signed id_token."""
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: form.get(k) for k in form})
    u = urls(settings)
    if params.get("client_id") != DEV_CLIENT_ID or params.get("redirect_uri") != u.launch:
        return error_page("unknown client_id or redirect_uri", 400)
    if params.get("response_type") != "id_token" or params.get("scope") != "openid":
        return error_page("response_type must be id_token and scope openid", 400)
    who = person(str(params.get("login_hint", "")))
    hint, _, locale = str(params.get("lti_message_hint", "")).partition(HINT_LOCALE)
    locale = locale if LANGUAGE_TAG.fullmatch(locale) else DEFAULT_LOCALE
    nonce = params.get("nonce")
    if who is None or not hint.startswith("link:") or not nonce or not isinstance(nonce, str):
        return error_page("unknown login_hint or message hint, or no nonce", 400)
    link = None
    if hint != "link:deep":
        raw = hint.removeprefix("link:")
        if raw.isdigit():
            link = FORUM_LINK if int(raw) == 0 else await queries.select_link(db, int(raw))
        if link is None:
            return error_page("no such link", 404)
    elif who.role != "instructor":
        return error_page("only the instructor can add content", 403)
    id_token = sign_launch(settings, launch_claims(settings, who, nonce, link, locale=locale))
    body = render(
        "lti/autopost.html",
        locale="en",
        action=u.launch,
        fields={"id_token": id_token, "state": params.get("state", "")},
        title=f"Launching Agora as {who.name}…",
    )
    return html_response(body, headers={"Cache-Control": "no-store"})


@get("/jwks", include_in_schema=False, sync_to_thread=False)
def jwks(settings: AppSettings) -> dict[str, Any]:
    return public_jwks(settings)


@post("/deep-link/return", include_in_schema=False, status_code=303)
async def deep_link_return(request: Request[Any, Any, Any], db: Db) -> Response[Any]:
    """Store the links of the tool's LtiDeepLinkingResponse, then show them."""
    form = await request.form()
    token = form.get("JWT")
    claims = await tool_claims(db, token if isinstance(token, str) else "")
    if (
        claims is None
        or claims.get("iss") != DEV_CLIENT_ID
        or claims.get("aud") != DEV_ISSUER
        or claims.get(c.MESSAGE_TYPE) != c.DEEP_LINKING_RESPONSE
        or claims.get(c.DL_DATA) != DEEP_LINK_DATA
        or not isinstance(claims.get("exp"), int)
        or claims["exp"] < time.time()
    ):
        return error_page("the deep-linking response is not valid", 400)
    added = 0
    for item in claims.get(c.DL_CONTENT_ITEMS, [])[:MAX_ADDED]:
        if not isinstance(item, dict) or item.get("type") != "ltiResourceLink":
            continue
        custom, line_item = item.get("custom"), item.get("lineItem")
        await queries.insert_link(
            db,
            title=str(item.get("title") or "Agora")[:200],
            custom=custom if isinstance(custom, dict) else {},
            line_item=line_item if isinstance(line_item, dict) else None,
        )
        added += 1
    return Response("", status_code=303, headers={"Location": f"/dev/lms?added={added}"})
