"""Deep Linking 2.0: the instructor's picker and the signed LtiDeepLinkingResponse.

agora/ never imports forum/ or peerreview/: the picker page lists boards and assignments in the
browser from the JSON API; the server only signs what was picked.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

import asyncpg
from litestar import Request, Response, post
from litestar.types import ControllerRouterHandler
from redis.exceptions import RedisError

from agora import i18n
from agora.deps import AppSettings, Db, Redis
from agora.lti import claims as c
from agora.lti import keys
from agora.lti.ags import assignment_resource_id
from agora.lti.launch import LaunchDone
from agora.lti.queries import launches, platforms
from agora.markup import clean_text
from agora.sessions import select_principal
from agora.web import html_response, render

MAX_ITEMS = 20
ITEM_KINDS = frozenset({"forum", "board", "thread", "assignment"})
LINE_ITEM_TAG = "agora-peer-review"
DEFAULT_SCORE_MAXIMUM = 100
# The rubric a "new peer-review assignment" starts with (POSTed by the picker page to the
# assignments API); the instructor edits it in Agora afterwards.
NEW_ASSIGNMENT_RUBRIC = [
    {
        "name": "Overall quality",
        "options": [
            {"label": "Needs work", "points": 0},
            {"label": "Adequate", "points": 1},
            {"label": "Good", "points": 2},
            {"label": "Excellent", "points": 3},
        ],
    }
]


async def picker_response(connection: asyncpg.Connection, done: LaunchDone) -> Response[Any]:
    row = await launches.select_course_heading(connection, done.principal.course_id)
    body = render(
        "lti/picker.html",
        locale=i18n.choose_locale(done.principal.locale, row["language"] if row else None),
        session_token=done.token,
        course_id=done.principal.course_id,
        course_title=row["title"] if row else "",
        deep_link=done.deep_link,
        new_assignment_rubric=json.dumps(NEW_ASSIGNMENT_RUBRIC),
    )
    return html_response(body, headers={"Cache-Control": "no-store"})


def parse_item(value: str, titles: Mapping[str, Any]) -> dict[str, Any] | None:
    kind, _, raw_id = value.partition(":")
    if kind not in ITEM_KINDS:
        return None
    if kind == "forum":
        return {"kind": "forum", "id": None, "title": clean_text(titles.get("title:forum") or "")}
    if not raw_id.isdigit() or not 0 < int(raw_id) < 2**63:
        return None
    title = titles.get(f"title:{kind}:{raw_id}") or ""
    return {"kind": kind, "id": int(raw_id), "title": clean_text(title)[:255]}


def content_item(
    item: dict[str, Any], settings: AppSettings, *, accept_lineitem: bool
) -> dict[str, Any]:
    default_titles = {"forum": "Course forum", "board": "Forum board", "thread": "Discussion"}
    title = item["title"] or default_titles.get(item["kind"], "Peer-review assignment")
    custom = {"agora_target": item["kind"]}
    if item["id"] is not None:
        custom["agora_target_id"] = str(item["id"])
    result: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": title,
        "url": settings.base_url + "/lti/launch",
        "custom": custom,
    }
    if item["kind"] == "assignment" and accept_lineitem:
        result["lineItem"] = {
            "scoreMaximum": DEFAULT_SCORE_MAXIMUM,
            "label": title,
            "resourceId": assignment_resource_id(item["id"]),
            "tag": LINE_ITEM_TAG,
        }
    return result


async def response_jwt(
    connection: asyncpg.Connection,
    platform: Mapping[str, Any],
    context: dict[str, Any],
    items: list[dict[str, Any]],
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
        c.DL_CONTENT_ITEMS: items,
    }
    if context.get("data") is not None:
        claims[c.DL_DATA] = context["data"]
    if message:
        claims[c.DL_MSG] = message
    return await keys.sign(connection, claims)


def _error(reason: str, status: int) -> Response[Any]:
    body = render("lti/error.html", locale="en", reason=reason, status=status)
    return html_response(body, status=status)


@post("/lti/deep-link/return", tags=["lti"], status_code=200)
async def deep_link_return(
    request: Request[Any, Any, Any], db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    """Sign the picked items as an LtiDeepLinkingResponse and auto-post it to the platform."""
    form = await request.form()
    token = form.get("session_token") or ""
    principal = await select_principal(db, token) if isinstance(token, str) and token else None
    if principal is None:
        return _error("this page has expired; start deep linking again from the LMS", 401)
    target = principal.target or {}
    if not principal.is_instructor or target.get("kind") != "deep_link":
        return _error("only an instructor's deep-linking launch can add content", 403)
    try:
        raw = await redis.getdel(f"lti:dl:{target.get('id')}")
    except (RedisError, OSError):
        return _error("Agora is temporarily unavailable; try again in a minute.", 503)
    if raw is None:
        return _error("this deep-linking request expired or was already answered", 410)
    context = json.loads(raw)
    if context["course_id"] != principal.course_id:
        return _error("this deep-linking request belongs to another course", 403)
    values = [v for v in form.getall("item") if isinstance(v, str)][:MAX_ITEMS]
    picked = [p for p in (parse_item(v, form) for v in values) if p is not None]
    if not context.get("accept_multiple"):
        picked = picked[:1]
    items = [content_item(p, settings, accept_lineitem=context["accept_lineitem"]) for p in picked]
    platform = await platforms.select_platform(db, context["platform_id"])
    if platform is None:
        return _error("the platform of this request is no longer registered", 410)
    message = "" if items else "Nothing was added."
    jwt = await response_jwt(db, dict(platform), context, items, message)
    body = render(
        "lti/autopost.html",
        locale=principal.locale,
        action=context["return_url"],
        fields={"JWT": jwt},
        title="Adding to your course…",
    )
    return html_response(body, headers={"Cache-Control": "no-store"})


ROUTES: list[ControllerRouterHandler] = [deep_link_return]
