"""HTTP routes of the LTI tool (collected by agora.app).

Login and launch are browser flows: failures answer an HTML page with the reason and a 4xx
(503 when Redis, the nonce store, is down), never a 500, and nothing is written.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from litestar import Request, Response, get, post, route
from litestar.status_codes import HTTP_302_FOUND
from litestar.types import ControllerRouterHandler

from agora.deps import AppSettings, Db, Redis
from agora.error_pages import launch_locale, lti_error_page
from agora.lti import deeplink, keys, launch, login, outbound, registration
from agora.lti.validation import LaunchRejected
from agora.sessions import session_cookie
from agora.web import html_response, launch_response, render

log = logging.getLogger("agora.lti")
NO_STORE = {"Cache-Control": "no-store"}


def error_page(
    request: Request[Any, Any, Any], reason: str, status: int, form: dict[str, Any] | None = None
) -> Response[Any]:
    """The refusal in the language the launch asked for (else the browser's)."""
    locale = launch_locale((form or {}).get("id_token"))
    return lti_error_page(request, reason, status, locale=locale)


async def _params(request: Request[Any, Any, Any]) -> dict[str, Any]:
    if request.method == "POST":
        form = await request.form()
        return {k: form.get(k) for k in form}
    return {k: request.query_params.get(k) for k in request.query_params}


@route("/lti/login", http_method=["GET", "POST"], tags=["lti"], include_in_schema=True)
async def lti_login(
    request: Request[Any, Any, Any], db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    """OIDC third-party initiated login: store state and nonce, redirect to the platform."""
    try:
        await login.check_login_rate(redis, request.client.host if request.client else "-")
        result = await login.login(db, redis, settings, await _params(request))
    except LaunchRejected as error:
        return error_page(request, error.reason, error.status)
    except login.RedisDown:
        log.warning("LTI login refused: Redis unavailable")
        return error_page(request, "Agora is temporarily unavailable; try again in a minute.", 503)
    headers = {**NO_STORE, "Set-Cookie": login.state_cookie(result.state)}
    if result.storage_target:
        body = render(
            "lti/login_storage.html",
            locale="en",
            redirect_url=result.redirect_url,
            storage_target=result.storage_target,
            platform_origin=result.platform_origin,
            state=result.state,
            nonce=result.nonce,
        )
        return html_response(body, headers=headers)
    return Response(
        "", status_code=HTTP_302_FOUND, headers={**headers, "Location": result.redirect_url}
    )


@post("/lti/launch", tags=["lti"], status_code=200)
async def lti_launch(
    request: Request[Any, Any, Any], db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    """Validate the id_token, then open the course (or the deep-linking picker)."""
    form = await _params(request)
    try:
        valid, bound = await launch.validate_launch(
            db, redis, form, request.cookies, outbound.Policy.of(settings)
        )
        if not bound:
            pending_id = await launch.park_launch(redis, valid)
            state = valid.state
            body = render(
                "lti/launch_storage.html",
                locale="en",
                complete_url=settings.base_url + "/lti/launch/complete",
                pending_id=pending_id,
                state=state,
                storage_target=form.get("lti_storage_target") or "_parent",
                platform_origin=login.origin(valid.platform["auth_login_url"]),
            )
            return html_response(body, headers=NO_STORE)
        return await _finish(db, redis, settings, valid)
    except LaunchRejected as error:
        log.info("LTI launch rejected: %s", error.reason)
        return error_page(request, error.reason, error.status, form)
    except login.RedisDown:
        log.warning("LTI launch refused: Redis unavailable")
        unavailable = "Agora is temporarily unavailable; try again in a minute."
        return error_page(request, unavailable, 503, form)


@post("/lti/launch/complete", tags=["lti"], status_code=200)
async def lti_launch_complete(
    request: Request[Any, Any, Any], db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    """Second half of a cookie-less launch, once platform storage confirmed the state."""
    form = await _params(request)
    try:
        parked = await launch.unpark_launch(
            redis, str(form.get("launch") or ""), str(form.get("state") or "")
        )
        return await _finish(db, redis, settings, parked)
    except LaunchRejected as error:
        return error_page(request, error.reason, error.status)
    except login.RedisDown:
        return error_page(request, "Agora is temporarily unavailable; try again in a minute.", 503)


async def _finish(
    db: asyncpg.Connection, redis: Redis, settings: AppSettings, valid: launch.Launch
) -> Response[Any]:
    # A savepoint: if anything fails half-way, none of the launch's rows stay.
    async with db.transaction():
        done = await launch.complete_launch(db, redis, settings, valid)
    if done.deep_link is not None:
        response = await deeplink.picker_response(db, done)
    else:
        response = await launch_response(db, done.principal, done.token)
    # Reload, back/forward and links inside the LMS iframe keep the session (agora.sessions).
    cookie = session_cookie(done.token, done.principal.course_id, settings.session_ttl)
    response.headers["Set-Cookie"] = cookie
    return response


@get("/lti/jwks", tags=["lti"], cache=False)
async def lti_jwks(db: Db) -> Response[Any]:
    """Our public keys (current and those still in their grace period)."""
    return Response(
        await keys.public_jwks(db),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )


ROUTES: list[ControllerRouterHandler] = [
    lti_login,
    lti_launch,
    lti_launch_complete,
    lti_jwks,
    *deeplink.ROUTES,
    *registration.ROUTES,
]
