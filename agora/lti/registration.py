"""LTI Dynamic Registration (`GET /lti/register`) and the JSON configuration (`/lti/config.json`).

Registration makes us fetch a URL given in the query string, so it is bounded: https only (plain
http only in dev mode), small JSON answers, short timeouts, and the issuer must be the origin the
configuration came from.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Request, Response, get
from litestar.types import ControllerRouterHandler

from agora.deps import AppSettings, Db
from agora.lti import claims as c
from agora.lti import outbound
from agora.lti.login import origin
from agora.lti.queries import platforms
from agora.web import html_response, render

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_RESULT, c.SCOPE_NRPS]
DESCRIPTION = "Course forums and calibrated peer review for MOOCs."


class RegistrationError(Exception):
    pass


def _check_url(url: object, what: str, settings: AppSettings) -> str:
    allowed = ("https://", "http://") if settings.dev else ("https://",)
    if not isinstance(url, str) or not url.startswith(allowed) or len(url) > 2000:
        raise RegistrationError(f"{what} must be an https URL")
    return url


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
    connection: asyncpg.Connection, settings: AppSettings, config_url: str, registration_token: str
) -> dict[str, Any]:
    config_url = _check_url(config_url, "openid_configuration", settings)
    async with outbound.client() as http:
        try:
            _, config = await outbound.get_json(http, config_url)
        except outbound.PlatformHTTPError as error:
            raise RegistrationError(
                f"the platform configuration could not be read: {error}"
            ) from None
        if not isinstance(config, dict):
            raise RegistrationError("the platform configuration is not a JSON object")
        issuer = _check_url(config.get("issuer"), "issuer", settings)
        if origin(issuer) != origin(config_url):
            raise RegistrationError("the issuer is not the origin of the configuration URL")
        endpoints = {
            name: _check_url(config.get(name), name, settings)
            for name in (
                "authorization_endpoint",
                "token_endpoint",
                "jwks_uri",
                "registration_endpoint",
            )
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if registration_token:
            headers["Authorization"] = f"Bearer {registration_token}"
        try:
            _, answer = await outbound.request_json(
                http,
                "POST",
                endpoints["registration_endpoint"],
                json=tool_registration(settings),
                headers=headers,
            )
        except outbound.PlatformHTTPError as error:
            raise RegistrationError(f"the platform refused the registration: {error}") from None
    if not isinstance(answer, dict):
        raise RegistrationError("the platform answered without a client_id")
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationError("the platform answered without a client_id")
    tool_config = answer.get(TOOL_CONFIGURATION)
    deployment_id = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
    platform_config = config.get(PLATFORM_CONFIGURATION)
    name = ""
    if isinstance(platform_config, dict):
        name = str(platform_config.get("product_family_code", ""))[:100]
    platform_id = await platforms.upsert_platform(
        connection,
        issuer=issuer,
        client_id=client_id,
        name=name,
        auth_login_url=endpoints["authorization_endpoint"],
        auth_token_url=endpoints["token_endpoint"],
        jwks_url=endpoints["jwks_uri"],
    )
    if isinstance(deployment_id, str) and deployment_id:
        await platforms.insert_deployment(connection, platform_id, deployment_id[:255])
    return {
        "platform_id": platform_id,
        "issuer": issuer,
        "client_id": client_id,
        "deployment_id": deployment_id,
    }


@get("/lti/register", tags=["lti"])
async def lti_register(
    request: Request[Any, Any, Any], db: Db, settings: AppSettings
) -> Response[Any]:
    """Dynamic registration: register with the platform, then tell it to close our window."""
    params = request.query_params
    try:
        # A GET runs without the request transaction: the platform row and its deployment
        # must land together.
        async with db.transaction():
            result = await register(
                db,
                settings,
                params.get("openid_configuration", ""),
                params.get("registration_token", ""),
            )
    except RegistrationError as error:
        body = render("lti/error.html", locale="en", reason=str(error), status=400)
        return html_response(body, status=400)
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
