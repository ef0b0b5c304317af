"""Errors as pages: a person in the LMS iframe never sees raw JSON.

agora.errors turns every error into application/problem+json; when the request is a page request
(a path under /ui, or a browser asking for HTML outside the JSON API), that problem is shown as
agora/templates/error.html instead: in the session's language, with a way back to the course's
forum. An htmx request that swaps a part of a page gets the same message as a fragment, which
agora.js shows in the page's flash area. The JSON API (/api/...) keeps problem+json.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.response import Stream

from agora import i18n
from agora.errors import PROBLEM_JSON, Problem
from agora.lti.claims import LAUNCH_PRESENTATION
from agora.sessions import PRINCIPAL_STATE_KEY, Principal, select_principal, token_from
from agora.web import PAGE_PREFIX, html_response, is_fragment_request, render

log = logging.getLogger("agora.error_pages")
AnyRequest = Request[Any, Any, Any]
API_PREFIX = "/api/"
# The course a page path names, for the way back when the request had no session to read it from.
COURSE_IN_PATH = re.compile(rf"^{PAGE_PREFIX}/courses/([1-9][0-9]{{0,17}})(?:/|$)")


def wants_page(request: AnyRequest) -> bool:
    """Pages and browsers get HTML; the JSON API and clients asking for JSON get problem+json."""
    path = request.scope.get("path", "")
    if path.startswith(API_PREFIX):
        return False
    if path == PAGE_PREFIX or path.startswith(PAGE_PREFIX + "/"):
        return True
    preferred = request.accept.best_match([PROBLEM_JSON, "application/json", "text/html"])
    return preferred == "text/html"


def session_principal(request: AnyRequest) -> Principal | None:
    """The Principal the request authenticated as before it failed, if it got that far."""
    principal = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    return principal if isinstance(principal, Principal) else None


def page_locale(request: AnyRequest, principal: Principal | None) -> str:
    """The session's language (what its launch asked for), else the browser's, else English."""
    if principal is not None and principal.locale in i18n.SUPPORTED:
        return principal.locale
    return i18n.from_accept_language(request.headers.get("accept-language")) or i18n.DEFAULT


def course_home(request: AnyRequest, principal: Principal | None) -> str:
    """Where "back to the course" goes: the pages of the session's (or the path's) course (its
    forum and peer review: a learner banned from the forum still has the other)."""
    if principal is not None:
        return f"{PAGE_PREFIX}/courses/{principal.course_id}"
    match = COURSE_IN_PATH.match(request.scope.get("path", ""))
    return f"{PAGE_PREFIX}/courses/{match.group(1)}" if match else ""


def error_page(
    request: AnyRequest, status: int, detail: str = "", headers: dict[str, str] | None = None
) -> Response[Any]:
    """The error page (or, for an htmx fragment request, the message a page shows in place)."""
    principal = session_principal(request)
    if principal is None and status in (404, 405) and COURSE_IN_PATH.match(request.url.path):
        token = token_from(request)
        if token:
            return _with_session_looked_up(request, token, status, detail, headers)
    return _rendered(request, principal, status, detail, headers)


def _with_session_looked_up(
    request: AnyRequest, token: str, status: int, detail: str, headers: dict[str, str] | None
) -> Response[Any]:
    """The router refused the address before any page authenticated the request (a path under
    a page's own, such as /ui/courses/1/forum/nowhere): find the session's language now. An
    exception handler cannot await, a streamed body can."""

    async def body() -> AsyncIterator[bytes]:
        principal: Principal | None = None
        try:
            async with request.app.state.database.acquire() as connection:
                principal = await select_principal(connection, token)
        except Exception:  # whatever failed, the page still shows, in the browser's language
            log.warning("no session lookup for the error page of %s", request.url.path)
        path_course = COURSE_IN_PATH.match(request.url.path)
        if principal is not None and path_course and int(path_course[1]) != principal.course_id:
            principal = None  # another course's address: nothing of this session applies
        page = _rendered(request, principal, status, detail, headers)
        yield str(page.content).encode()

    # no-store: html_response's default, which the rendered page would have carried.
    return Stream(
        body(),
        status_code=status,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store"} | (headers or {}),
    )


def _rendered(
    request: AnyRequest,
    principal: Principal | None,
    status: int,
    detail: str,
    headers: dict[str, str] | None,
) -> Response[str]:
    locale = page_locale(request, principal)
    if detail.lower() == _phrase(status).lower():
        detail = ""  # the router's "Not Found": the page's heading says it, in the right language
    # A 5xx detail is for the logs; a 401's tells an API client which header to send.
    shown = i18n.translate_known(locale, detail) if 400 <= status < 500 and status != 401 else ""
    body = render(
        "error.html",
        locale=locale,
        status=status,
        detail=shown,
        fragment=is_fragment_request(request),
        home="" if status == 401 else course_home(request, principal),
        # The session the request was made with, so the way back works as an htmx navigation
        # with the Bearer header when the browser keeps no cookie for us.
        session_token=token_from(request) if principal is not None else "",
    )
    return html_response(body, status=status, headers=headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def page_for_problem(request: AnyRequest, problem: Response[Any]) -> Response[Any]:
    """The problem+json answer agora.errors built, shown as an error page."""
    decoded = msgspec.json.decode(problem.content, type=Problem)
    kept = {k: v for k, v in problem.headers.items() if k.lower() != "content-type"}
    return error_page(request, decoded.status, decoded.detail, kept)


def launch_locale(id_token: object) -> str | None:
    """The language an LTI launch asks for, read from its id_token without checking the
    signature: only to word a refusal in the person's language (nothing else is trusted)."""
    if not isinstance(id_token, str) or len(id_token) > 20_000:
        return None
    parts = id_token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = msgspec.json.decode(payload)
    except (ValueError, msgspec.DecodeError):
        return None
    if not isinstance(claims, dict):
        return None
    presentation = claims.get(LAUNCH_PRESENTATION)
    raw = presentation.get("locale") if isinstance(presentation, dict) else None
    raw = raw if isinstance(raw, str) and raw else claims.get("locale")
    return i18n.choose_locale(raw) if isinstance(raw, str) and raw else None


def lti_error_page(
    request: AnyRequest, reason: str, status: int, *, locale: str | None = None
) -> Response[str]:
    """An LTI flow that cannot go on (login, launch, deep linking, registration): why, in the
    person's language (the launch's, else the browser's), and what to do next."""
    chosen = locale or i18n.from_accept_language(request.headers.get("accept-language"))
    chosen = chosen or i18n.DEFAULT
    body = render(
        "lti/error.html",
        locale=chosen,
        reason=i18n.translate_known(chosen, reason),
        original=reason,
        status=status,
    )
    return html_response(body, status=status)
