"""id_token validation: every check of LTI 1.3 core / OIDC, in one function, before any write.

Each failure raises LaunchRejected with a reason a human can act on; nothing is created until
validate_id_token has returned.
"""

from __future__ import annotations

import json
import time
from typing import Any

import asyncpg
from joserfc import jws, jwt
from joserfc.errors import JoseError
from redis.asyncio import Redis

from agora.lti import claims as c
from agora.lti import outbound, platform_keys
from agora.lti.queries import platforms

LEEWAY_SECONDS = 60
MAX_TOKEN_BYTES = 64_000
MAX_LIFETIME_SECONDS = 3600


class LaunchRejected(Exception):
    """The launch is refused; `status` is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _header(id_token: str) -> dict[str, Any]:
    if len(id_token) > MAX_TOKEN_BYTES:
        raise LaunchRejected("id_token is too large")
    try:
        header = jws.extract_compact(id_token.encode()).protected
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise LaunchRejected("id_token is not a compact JWS") from None
    # The algorithm is ours to choose, never the token's: RS256 only (no none, no HS*).
    if header.get("alg") != "RS256":
        raise LaunchRejected(f"id_token algorithm {header.get('alg')!r} is not accepted (RS256)")
    return header


async def verified_claims(
    redis: Redis, platform: dict[str, Any], id_token: str, policy: outbound.Policy
) -> dict[str, Any]:
    """Check the signature with the platform key chosen by kid; return the claims."""
    header = _header(id_token)
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise LaunchRejected("id_token kid is not a string")
    try:
        key = await platform_keys.platform_key(
            redis, platform["id"], platform["jwks_url"], kid, policy
        )
    except platform_keys.KeyNotFound as error:
        raise LaunchRejected(f"id_token signed with an unknown key: {error}") from None
    except outbound.PlatformHTTPError as error:
        raise LaunchRejected(f"the platform's keys could not be fetched: {error}", 502) from None
    try:
        token = jwt.decode(id_token, key, algorithms=["RS256"])
    except (JoseError, ValueError, TypeError):
        raise LaunchRejected("id_token signature is invalid") from None
    except json.JSONDecodeError:  # pragma: no cover - covered by ValueError
        raise LaunchRejected("id_token claims are not JSON") from None
    if not isinstance(token.claims, dict):
        raise LaunchRejected("id_token claims are not an object")
    return token.claims


def check_standard_claims(
    claims: dict[str, Any], platform: dict[str, Any], *, now: float | None = None
) -> None:
    now = time.time() if now is None else now
    if claims.get("iss") != platform["issuer"]:
        raise LaunchRejected("id_token issuer does not match the platform that started the login")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or platform["client_id"] not in audiences:
        raise LaunchRejected("id_token audience does not contain our client_id")
    azp = claims.get("azp")
    if len(audiences) > 1 and azp is None:
        raise LaunchRejected("id_token has several audiences and no azp")
    if azp is not None and azp != platform["client_id"]:
        raise LaunchRejected("id_token azp is not our client_id")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise LaunchRejected("id_token lacks a numeric exp or iat")
    if exp < now - LEEWAY_SECONDS:
        raise LaunchRejected("id_token has expired")
    if iat > now + LEEWAY_SECONDS:
        raise LaunchRejected("id_token was issued in the future (iat)")
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, int | float) or isinstance(nbf, bool)):
        raise LaunchRejected("id_token nbf is not a number")
    if nbf is not None and nbf > now + LEEWAY_SECONDS:
        raise LaunchRejected("id_token is not valid yet (nbf)")
    if exp - iat > MAX_LIFETIME_SECONDS * 24:
        raise LaunchRejected("id_token lifetime is implausibly long")
    if not isinstance(claims.get("nonce"), str) or not claims["nonce"]:
        raise LaunchRejected("id_token lacks a nonce")


async def check_lti_claims(
    connection: asyncpg.Connection, claims: dict[str, Any], platform: dict[str, Any]
) -> None:
    if claims.get(c.VERSION) != "1.3.0":
        raise LaunchRejected("LTI version must be 1.3.0")
    message_type = claims.get(c.MESSAGE_TYPE)
    if message_type not in c.MESSAGE_TYPES:
        raise LaunchRejected(f"message type {message_type!r} is not supported")
    deployment_id = claims.get(c.DEPLOYMENT_ID)
    if not isinstance(deployment_id, str) or not deployment_id:
        raise LaunchRejected("missing claim deployment_id")
    if not await platforms.deployment_exists(connection, platform["id"], deployment_id):
        raise LaunchRejected(f"deployment {deployment_id!r} is not registered for this platform")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise LaunchRejected("missing claim sub (anonymous launches are not supported)")
    if not isinstance(claims.get(c.ROLES), list):
        raise LaunchRejected("missing claim roles")
    context = claims.get(c.CONTEXT)
    if not isinstance(context, dict) or not isinstance(context.get("id"), str) or not context["id"]:
        raise LaunchRejected("missing claim context (Agora is launched from a course)")
    if message_type == c.RESOURCE_LINK_REQUEST:
        link = claims.get(c.RESOURCE_LINK)
        if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
            raise LaunchRejected("missing claim resource_link.id")
        if not isinstance(claims.get(c.TARGET_LINK_URI), str):
            raise LaunchRejected("missing claim target_link_uri")
    else:
        settings = claims.get(c.DL_SETTINGS)
        if not isinstance(settings, dict) or not isinstance(
            settings.get("deep_link_return_url"), str
        ):
            raise LaunchRejected("missing claim deep_linking_settings.deep_link_return_url")
        check_return_url(settings["deep_link_return_url"], platform)
        accept = settings.get("accept_types", [])
        if isinstance(accept, list) and accept and "ltiResourceLink" not in accept:
            raise LaunchRejected("the platform does not accept ltiResourceLink items")


def check_return_url(url: object, platform: dict[str, Any]) -> str:
    """The deep-linking return URL, which our page auto-posts the signed answer to: http(s) on
    one of the platform's registered origins (no javascript:, no other site)."""
    try:
        return outbound.check_platform_url(url, platform, "deep_link_return_url")
    except outbound.UnsafeURL as error:
        raise LaunchRejected(str(error)) from None
