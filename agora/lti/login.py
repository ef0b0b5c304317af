"""OIDC third-party initiated login, the first half of a launch (HTTP details live in http.py).

Login stores state and nonce in Redis (short TTL) and binds the state to the browser by a cookie
and, when the platform offers it, by LTI platform storage (postMessage). The launch (launch.py)
then checks the id_token against them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from agora.lti import outbound
from agora.lti.queries import platforms
from agora.lti.validation import LaunchRejected
from agora.settings import Settings

LOGIN_TTL = 600
STATE_COOKIE_PREFIX = "agora_lti_state_"
MAX_PARAM = 2048
# A whole classroom may share one NAT address and launch at once.
LOGIN_RATE = 600


class RedisDown(Exception):
    """Redis is unreachable: launches fail closed (no nonce store)."""


def param(params: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """A login or launch parameter: a bounded string, '' when absent."""
    value = params.get(name) or ""
    if not isinstance(value, str) or len(value) > MAX_PARAM or "\x00" in value:
        raise LaunchRejected(f"parameter {name} is malformed")
    if required and not value:
        raise LaunchRejected(f"parameter {name} is required")
    return value


def launch_url(settings: Settings) -> str:
    return settings.base_url + "/lti/launch"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class LoginResult:
    redirect_url: str
    auth_url: str
    auth_params: dict[str, str]
    state: str
    nonce: str
    storage_target: str = ""
    platform_origin: str = ""


async def check_login_rate(redis: Redis, client: str) -> None:
    """At most LOGIN_RATE logins per minute per client address: each stores state in Redis."""
    key = f"lti:login-rate:{client}"
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=60, nx=True)  # the window starts with the first login
            pipe.incr(key)
            _, count = await pipe.execute()
    except (RedisError, OSError) as error:
        raise RedisDown(str(error)) from None
    if count > LOGIN_RATE:
        raise LaunchRejected("too many launches from this address; wait a minute", 429)


async def login(
    connection: asyncpg.Connection, redis: Redis, settings: Settings, params: Mapping[str, Any]
) -> LoginResult:
    issuer = param(params, "iss", required=True)
    login_hint = param(params, "login_hint", required=True)
    param(params, "target_link_uri", required=True)
    client_id = param(params, "client_id")
    # Canvas spells it deployment_id; the spec lti_deployment_id.
    deployment_id = param(params, "lti_deployment_id") or param(params, "deployment_id")
    message_hint = param(params, "lti_message_hint")
    storage_target = param(params, "lti_storage_target")

    found = await platforms.select_platforms_by_issuer(connection, issuer, client_id)
    if not found:
        raise LaunchRejected(f"unknown platform: issuer {issuer!r} client_id {client_id!r}")
    if len(found) > 1:
        raise LaunchRejected("several registrations share this issuer; the login needs client_id")
    platform = found[0]
    if deployment_id and not await platforms.deployment_exists(
        connection, platform["id"], deployment_id
    ):
        raise LaunchRejected(f"deployment {deployment_id!r} is not registered for this platform")
    # Where the browser is sent: http(s) only (a row written before the CLI checked URLs, or by
    # hand, must not make us redirect to javascript:).
    try:
        auth_url = outbound.check_platform_url(
            platform["auth_login_url"], dict(platform), "the platform's login URL"
        )
    except outbound.UnsafeURL as error:
        raise LaunchRejected(str(error)) from None

    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    record = {"platform_id": platform["id"], "nonce": nonce, "storage": bool(storage_target)}
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(f"lti:state:{state}", json.dumps(record), ex=LOGIN_TTL)
            pipe.set(f"lti:nonce:{nonce}", state, ex=LOGIN_TTL)
            await pipe.execute()
    except (RedisError, OSError) as error:
        raise RedisDown(str(error)) from None

    auth_params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform["client_id"],
        "redirect_uri": launch_url(settings),
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if message_hint:
        auth_params["lti_message_hint"] = message_hint
    separator = "&" if "?" in auth_url else "?"
    return LoginResult(
        redirect_url=auth_url + separator + urlencode(auth_params),
        auth_url=auth_url,
        auth_params=auth_params,
        state=state,
        nonce=nonce,
        storage_target=storage_target,
        platform_origin=origin(auth_url),
    )


def state_cookie(state: str) -> str:
    # Partitioned (CHIPS) so it still works inside an LMS iframe where third-party cookies are
    # partitioned rather than blocked; Path limits it to the LTI endpoints.
    return (
        f"{STATE_COOKIE_PREFIX}{state[:16]}={state}; Path=/lti/; Max-Age={LOGIN_TTL}; "
        "Secure; HttpOnly; SameSite=None; Partitioned"
    )


def cookie_state(cookies: Mapping[str, str], state: str) -> str | None:
    return cookies.get(STATE_COOKIE_PREFIX + state[:16])
