"""The launch, second half of the OIDC flow (login.py is the first; HTTP details in http.py).

It validates the id_token fully (validation.py) against the login's state and nonce, consumes
the nonce atomically, and only then writes: course, user, membership, resource link, session.
A launch whose state cookie the browser did not send waits in Redis ("parked") until LTI
platform storage confirms the state.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from agora.lti import claims as c
from agora.lti import outbound
from agora.lti.login import RedisDown, cookie_state, param
from agora.lti.queries import launches, passbacks, platforms
from agora.lti.validation import (
    MAX_TOKEN_BYTES,
    LaunchRejected,
    check_lti_claims,
    check_standard_claims,
    verified_claims,
)
from agora.markup import clean_text
from agora.outbox import enqueue
from agora.schemas import MAX_ID
from agora.sessions import Principal, create_session
from agora.settings import Settings

PENDING_TTL = 120
DEEP_LINK_TTL = 3600
TARGET_KINDS = frozenset({"forum", "board", "thread", "assignment"})
REQUEUE_LIMIT = 1000


@dataclass
class Launch:
    """A validated launch, ready to be written."""

    platform: dict[str, Any]
    claims: dict[str, Any]
    state: str
    role: str
    message_type: str


@dataclass
class LaunchDone:
    principal: Principal
    token: str
    deep_link: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def validate_launch(
    connection: asyncpg.Connection,
    redis: Redis,
    form: Mapping[str, Any],
    cookies: Mapping[str, str],
    policy: outbound.Policy,
) -> tuple[Launch, bool]:
    """Validate; return (launch, bound). `bound` False means platform storage must confirm.

    `policy` guards the fetch of the platform's keys."""
    state = param(form, "state", required=True)
    id_token = form.get("id_token") or ""
    if not isinstance(id_token, str) or not id_token or len(id_token) > MAX_TOKEN_BYTES:
        raise LaunchRejected("parameter id_token is missing or too large")
    try:
        raw = await redis.get(f"lti:state:{state}")
    except (RedisError, OSError) as error:
        raise RedisDown(str(error)) from None
    if raw is None:
        raise LaunchRejected("unknown or expired state: start the launch again from the LMS")
    record = json.loads(raw)
    row = await platforms.select_platform(connection, record["platform_id"])
    if row is None:
        raise LaunchRejected("the platform of this login is no longer registered")
    platform = dict(row)
    try:
        claims = await verified_claims(redis, platform, id_token, policy)
    except (RedisError, OSError) as error:
        raise RedisDown(str(error)) from None
    check_standard_claims(claims, platform)
    if claims["nonce"] != record["nonce"]:
        raise LaunchRejected("nonce does not match the login that issued this state")
    bound = cookie_state(cookies, state) == state
    if not bound and not record.get("storage"):
        raise LaunchRejected(
            "the login state cookie is missing or wrong (this browser blocks cookies and the "
            "platform offered no LTI platform storage); open the tool in a new window"
        )
    await check_lti_claims(connection, claims, platform)
    role = c.map_roles(claims.get(c.ROLES))
    message_type = claims[c.MESSAGE_TYPE]
    if message_type == c.DEEP_LINKING_REQUEST and role != "instructor":
        raise LaunchRejected("only instructors can add Agora content (deep linking)", 403)
    # Last: consume the nonce atomically, so each login is accepted at most once.
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.getdel(f"lti:nonce:{claims['nonce']}")
            pipe.delete(f"lti:state:{state}")
            consumed, _ = await pipe.execute()
    except (RedisError, OSError) as error:
        raise RedisDown(str(error)) from None
    if consumed is None or consumed.decode() != state:
        raise LaunchRejected("this launch was already used (replayed nonce)")
    launch = Launch(platform, claims, state, role, message_type)
    return launch, bound


async def park_launch(redis: Redis, launch: Launch) -> str:
    """Keep a validated launch until platform storage confirms the state (cookie-less flow)."""
    pending_id = secrets.token_urlsafe(24)
    payload = {
        "platform": _jsonable(launch.platform),
        "claims": launch.claims,
        "state": launch.state,
    }
    try:
        await redis.set(f"lti:pending:{pending_id}", json.dumps(payload), ex=PENDING_TTL)
    except (RedisError, OSError) as error:
        raise RedisDown(str(error)) from None
    return pending_id


async def unpark_launch(redis: Redis, pending_id: str, state: str) -> Launch:
    if not pending_id or len(pending_id) > 100:
        raise LaunchRejected("parameter launch is missing")
    try:
        raw = await redis.getdel(f"lti:pending:{pending_id}")
    except (RedisError, OSError) as error:
        raise RedisDown(str(error)) from None
    if raw is None:
        raise LaunchRejected("unknown or expired launch: start again from the LMS")
    payload = json.loads(raw)
    if payload["state"] != state:
        raise LaunchRejected("platform storage returned another state")
    claims = payload["claims"]
    return Launch(
        payload["platform"], claims, state, c.map_roles(claims.get(c.ROLES)), claims[c.MESSAGE_TYPE]
    )


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def _object(claims: dict[str, Any], name: str) -> dict[str, Any]:
    """The claim if it is a JSON object, else an empty one."""
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def _service_url(value: object) -> str | None:
    """A service endpoint named in the launch, if it is an http(s) URL (the outbound guard
    checks it again before any call)."""
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value[:2000]
    return None


def _text(value: object, limit: int = 255) -> str:
    return clean_text(value)[:limit] if isinstance(value, str) else ""


def session_locale(claims: dict[str, Any]) -> tuple[str, str]:
    """(raw locale for the user row, 'en'|'fr' for the UI or '' when the launch names none).

    An empty UI language lets the pages fall back to the course's language.
    """
    presentation = claims.get(c.LAUNCH_PRESENTATION)
    raw = presentation.get("locale") if isinstance(presentation, dict) else None
    raw = raw if isinstance(raw, str) and raw else claims.get("locale")
    raw = raw[:35] if isinstance(raw, str) else ""
    language = raw.replace("_", "-").split("-")[0].lower()
    return raw, language if language in ("en", "fr") else ""


def target_from_custom(custom: object) -> tuple[str, int | None] | None:
    """The target a link's custom parameters name, or None. Custom parameters never set roles."""
    if not isinstance(custom, dict):
        return None
    kind = custom.get("agora_target")
    if kind not in TARGET_KINDS:
        return None
    raw_id = custom.get("agora_target_id")
    if kind == "forum":
        return "forum", None
    raw_id = str(raw_id) if isinstance(raw_id, str | int) else ""
    if not raw_id.isdigit() or not 0 < int(raw_id) <= MAX_ID:
        return None
    return kind, int(raw_id)


async def complete_launch(
    connection: asyncpg.Connection, redis: Redis, settings: Settings, launch: Launch
) -> LaunchDone:
    """Write course, user, membership, resource link and session (caller's transaction)."""
    claims, platform = launch.claims, launch.platform
    context = claims[c.CONTEXT]
    raw_locale, language = session_locale(claims)
    course_id = await launches.upsert_course(
        connection,
        platform_id=platform["id"],
        deployment_id=claims[c.DEPLOYMENT_ID],
        context_id=context["id"][:255],
        title=_text(context.get("title")),
        label=_text(context.get("label")),
        language=language or "en",
    )
    user_id = await launches.upsert_user(
        connection,
        platform_id=platform["id"],
        sub=claims["sub"],
        name=_text(claims.get("name")),
        given_name=_text(claims.get("given_name")),
        family_name=_text(claims.get("family_name")),
        email=_text(claims.get("email")),
        locale=raw_locale,
    )
    roles = [r[:255] for r in claims[c.ROLES] if isinstance(r, str)][:50]
    await launches.upsert_membership(
        connection, course_id=course_id, user_id=user_id, role=launch.role, lti_roles=roles
    )
    ags = _object(claims, c.AGS_ENDPOINT)
    nrps_url = _service_url(_object(claims, c.NRPS).get("context_memberships_url"))
    groups = _object(claims, c.GROUPS)  # Course Groups: read with the roster (NRPS)
    if nrps_url is not None and await launches.upsert_course_services(
        connection,
        course_id,
        nrps_url=nrps_url,
        groups_url=_service_url(groups.get("context_groups_url")),
        group_sets_url=_service_url(groups.get("context_group_sets_url")),
    ):
        await enqueue(connection, "lti_sync_roster", course_id, course_id=course_id)

    deep_link = None
    if launch.message_type == c.RESOURCE_LINK_REQUEST:
        target = await _resource_link(connection, course_id, claims, ags)
    else:
        deep_link = await _deep_link_context(redis, course_id, user_id, claims, platform)
        target = {"kind": "deep_link", "id": deep_link["id"]}
    token = await create_session(
        connection,
        user_id=user_id,
        course_id=course_id,
        role=launch.role,
        ttl_seconds=settings.session_ttl,
        locale=language,
        target=target,
    )
    name = _text(claims.get("name")) or " ".join(
        p for p in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if p
    )
    principal = Principal(
        user_id=user_id,
        course_id=course_id,
        role=launch.role,
        name=name,
        locale=language,
        target=target,
    )
    return LaunchDone(principal, token, deep_link)


async def _resource_link(
    connection: asyncpg.Connection, course_id: int, claims: dict[str, Any], ags: dict[str, Any]
) -> dict[str, Any]:
    link = claims[c.RESOURCE_LINK]
    link_id = link["id"][:255]
    custom = {
        str(k)[:100]: v
        for k, v in list(_object(claims, c.CUSTOM).items())[:50]
        if isinstance(v, str | int)
    }
    chosen = target_from_custom(custom)
    if chosen is None:
        stored = await launches.select_resource_link(connection, course_id, link_id)
        chosen = (stored["target_kind"], stored["target_id"]) if stored else ("forum", None)
    lineitems = ags.get("lineitems") if isinstance(ags.get("lineitems"), str) else None
    lineitem = ags.get("lineitem") if isinstance(ags.get("lineitem"), str) else None
    scopes = [s for s in ags.get("scope", []) if isinstance(s, str)][:10] if ags else []
    if lineitems:
        # Scores recorded before any launch carried an AGS endpoint can go out now.
        for row in await passbacks.requeue_passbacks_without_endpoint(
            connection, course_id, REQUEUE_LIMIT
        ):
            await enqueue(
                connection,
                "lti_publish_score",
                course_id,
                row["resource_id"],
                row["user_id"],
                course_id=course_id,
            )
    await launches.upsert_resource_link(
        connection,
        course_id=course_id,
        resource_link_id=link_id,
        title=_text(link.get("title")),
        custom=custom,
        target_kind=chosen[0],
        target_id=chosen[1],
        lineitems_url=lineitems[:2000] if lineitems else None,
        lineitem_url=lineitem[:2000] if lineitem else None,
        ags_scopes=scopes,
    )
    return {"kind": chosen[0], "id": chosen[1]}


async def _deep_link_context(
    redis: Redis, course_id: int, user_id: int, claims: dict[str, Any], platform: dict[str, Any]
) -> dict[str, Any]:
    settings = claims[c.DL_SETTINGS]
    context = {
        "id": secrets.token_urlsafe(16),
        "course_id": course_id,
        "user_id": user_id,
        "platform_id": platform["id"],
        "deployment_id": claims[c.DEPLOYMENT_ID],
        "return_url": settings["deep_link_return_url"],
        "data": settings.get("data") if isinstance(settings.get("data"), str) else None,
        "accept_multiple": bool(settings.get("accept_multiple", False)),
        "accept_lineitem": bool(settings.get("accept_lineitem", True)),
        "title": _text(settings.get("title")),
    }
    try:
        await redis.set(f"lti:dl:{context['id']}", json.dumps(context), ex=DEEP_LINK_TTL)
    except (RedisError, OSError) as error:
        raise RedisDown(str(error)) from None
    return context
