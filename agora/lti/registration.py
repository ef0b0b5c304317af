"""LTI Dynamic Registration (`GET /lti/register`) and the JSON configuration (`/lti/config.json`).

Registration makes us fetch URLs given in the query string and store whom to trust, so it is
closed to the world: it needs a one-time invite an administrator created (`agora platform
invite`: a URL with `?invite=TOKEN`, only the token's hash stored, expiring, used once), and it
only ever adds a registration: an existing (issuer, client_id) changes through the CLI alone.
Every fetch goes through the outbound guard and follows no redirect; the configuration URL, its
issuer and its registration endpoint share one origin. Remote answers are logged, never shown.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
from litestar import Request, Response, get
from litestar.types import ControllerRouterHandler

from agora.deps import AppSettings, Db
from agora.error_pages import lti_error_page
from agora.lti import claims as c
from agora.lti import outbound
from agora.lti.login import origin
from agora.lti.queries import platforms, registrations
from agora.settings import Settings
from agora.web import html_response, render

log = logging.getLogger("agora.lti.registration")
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_RESULT, c.SCOPE_NRPS, c.SCOPE_GROUPS]
DESCRIPTION = "Course forums and calibrated peer review for MOOCs."
INVITE_PARAM = "invite"
MAX_INVITE_LENGTH = 100
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")


class RegistrationError(Exception):
    """Registration refused; the text is a short reason for the person registering."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def invite_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_invite(
    connection: asyncpg.Connection, settings: Settings, ttl: timedelta, note: str = ""
) -> tuple[str, datetime]:
    """A new one-time invite: (the registration URL carrying it, when it expires)."""
    token = secrets.token_urlsafe(32)
    expires_at = await registrations.insert_invite(connection, invite_hash(token), ttl, note)
    return f"{settings.base_url}/lti/register?{INVITE_PARAM}={token}", expires_at


def _check_url(url: object, what: str, policy: outbound.Policy) -> str:
    try:
        return outbound.check_url(url, policy, what)
    except outbound.UnsafeURL as error:
        raise RegistrationError(str(error)) from None


def tool_registration(settings: AppSettings) -> dict[str, Any]:
    base = settings.base_url
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base}/lti/login",
        "redirect_uris": [f"{base}/lti/launch"],
        "client_name": "Agora",
        "jwks_uri": f"{base}/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": origin(base).split("://", 1)[1],
            "description": DESCRIPTION,
            "target_link_uri": f"{base}/lti/launch",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email", "locale"],
            "messages": [
                {
                    "type": c.DEEP_LINKING_REQUEST,
                    "target_link_uri": f"{base}/lti/launch",
                    "label": "Agora",
                },
            ],
        },
    }


async def register(
    connection: asyncpg.Connection,
    settings: Settings,
    invite: str,
    config_url: str,
    registration_token: str,
) -> dict[str, Any]:
    """Register with the platform; run it in a transaction (the invite is claimed in it)."""
    if not invite or len(invite) > MAX_INVITE_LENGTH:
        raise RegistrationError(
            "registration needs an invite from the Agora administrator (agora platform invite)",
            403,
        )
    invite_id = await registrations.claim_invite(connection, invite_hash(invite))
    if invite_id is None:
        raise RegistrationError(
            "this registration invite is unknown, expired or already used; ask the Agora "
            "administrator for a new one",
            403,
        )
    policy = outbound.Policy.of(settings)
    config_url = _check_url(config_url, "openid_configuration", policy)
    async with outbound.client(policy, follow_redirects=False) as http:
        config = await _platform_configuration(http, config_url)
        endpoints = {name: _check_url(config.get(name), name, policy) for name in ENDPOINTS}
        issuer = _check_url(config.get("issuer"), "issuer", policy)
        if not (
            outbound.origin(issuer)
            == outbound.origin(config_url)
            == outbound.origin(endpoints["registration_endpoint"])
        ):
            raise RegistrationError(
                "the issuer, the configuration URL and the registration endpoint must share "
                "one origin"
            )
        answer = await _post_registration(
            http, endpoints["registration_endpoint"], registration_token, settings
        )
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id or len(client_id) > 255:
        raise RegistrationError("the platform answered without a client_id")
    tool_config = answer.get(TOOL_CONFIGURATION)
    deployment_id = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
    platform_config = config.get(PLATFORM_CONFIGURATION)
    name = ""
    if isinstance(platform_config, dict):
        name = str(platform_config.get("product_family_code", ""))[:100]
    platform_id = await platforms.insert_platform(
        connection,
        issuer=issuer,
        client_id=client_id,
        name=name,
        auth_login_url=endpoints["authorization_endpoint"],
        auth_token_url=endpoints["token_endpoint"],
        jwks_url=endpoints["jwks_uri"],
    )
    if platform_id is None:
        log.warning("registration refused: %s client %s is already registered", issuer, client_id)
        raise RegistrationError(
            "Agora is already registered with this platform and client_id; an administrator "
            "changes a registration with `agora platform add`",
            409,
        )
    await registrations.update_invite_platform(connection, invite_id, platform_id)
    if isinstance(deployment_id, str) and deployment_id:
        await platforms.insert_deployment(connection, platform_id, deployment_id[:255])
    log.info("registered %s client %s (platform %s)", issuer, client_id, platform_id)
    return {
        "platform_id": platform_id,
        "issuer": issuer,
        "client_id": client_id,
        "deployment_id": deployment_id,
    }


async def _platform_configuration(http: httpx.AsyncClient, config_url: str) -> dict[str, Any]:
    try:
        _, config = await outbound.get_json(http, config_url)
    except outbound.PlatformHTTPError as error:
        raise RegistrationError(f"the platform configuration could not be read: {error}") from None
    if not isinstance(config, dict):
        raise RegistrationError("the platform configuration is not a JSON object")
    return config


async def _post_registration(
    http: httpx.AsyncClient, endpoint: str, registration_token: str, settings: Settings
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token[:4000]}"
    try:
        _, answer = await outbound.request_json(
            http, "POST", endpoint, json=tool_registration(settings), headers=headers
        )
    except outbound.PlatformHTTPError as error:
        raise RegistrationError(f"the platform refused the registration: {error}") from None
    if not isinstance(answer, dict):
        raise RegistrationError("the platform answered without a client_id")
    return answer


@get("/lti/register", tags=["lti"])
async def lti_register(
    request: Request[Any, Any, Any], db: Db, settings: AppSettings
) -> Response[Any]:
    """Dynamic registration: register with the platform, then tell it to close our window."""
    params = request.query_params
    try:
        # A GET runs without the request transaction: the invite's use, the platform row and
        # its deployment land together, or none of them.
        async with db.transaction():
            result = await register(
                db,
                settings,
                params.get(INVITE_PARAM, ""),
                params.get("openid_configuration", ""),
                params.get("registration_token", ""),
            )
    except RegistrationError as error:
        log.info("registration refused (%s): %s", error.status, error)
        return lti_error_page(request, str(error), error.status)
    body = render("lti/registered.html", locale="en", **result)
    return html_response(body, headers={"Cache-Control": "no-store"})


@get("/lti/config.json", tags=["lti"], sync_to_thread=False)
def lti_config(settings: AppSettings) -> dict[str, Any]:
    """Tool configuration for platforms that take a JSON URL (Canvas style)."""
    base = settings.base_url
    return {
        "title": "Agora",
        "description": DESCRIPTION,
        "oidc_initiation_url": f"{base}/lti/login",
        "target_link_uri": f"{base}/lti/launch",
        "public_jwk_url": f"{base}/lti/jwks",
        "scopes": SCOPES,
        "custom_fields": {"agora_target": "forum"},
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "domain": origin(base).split("://", 1)[1],
                "settings": {
                    "placements": [
                        {
                            "placement": "course_navigation",
                            "message_type": c.RESOURCE_LINK_REQUEST,
                            "text": "Forum",
                            "target_link_uri": f"{base}/lti/launch",
                        },
                        {
                            "placement": "link_selection",
                            "message_type": c.DEEP_LINKING_REQUEST,
                            "text": "Agora",
                            "target_link_uri": f"{base}/lti/launch",
                        },
                        {
                            "placement": "assignment_selection",
                            "message_type": c.DEEP_LINKING_REQUEST,
                            "text": "Agora peer review",
                            "target_link_uri": f"{base}/lti/launch",
                        },
                    ]
                },
            }
        ],
    }


ROUTES: list[ControllerRouterHandler] = [lti_register, lti_config]
