"""The dev LMS: a real LTI 1.3 platform in miniature, for trying Agora without an LMS.

Only answers when settings.dev is true (AGORA_DEV=1, which `make run` sets); otherwise every route
is a 404 and nothing in a request can change that. It has its own RSA key (in the data directory)
and JWKS, performs real third-party initiated logins and signed launches into the demo course as
any of its people, answers deep linking, and serves AGS (token, line items, scores, results) and
NRPS so grade passback and roster sync work under `make run`.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from litestar import Request, Response, Router, get, post, route
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from agora.demo import (
    DEMO_CONTEXT_ID,
    DEMO_PEOPLE,
    DEV_CLIENT_ID,
    DEV_DEPLOYMENT_ID,
    DEV_ISSUER,
)
from agora.deps import AppSettings, Db, Redis
from agora.errors import NotFound
from agora.lti import claims as c
from agora.lti import keys as tool_keys
from agora.web import html_response, render

ROLE_URIS = {
    "instructor": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    "ta": ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
    "learner": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
}
COURSE_TITLE, COURSE_LABEL = "Climate Science 101", "CLIM101"
MEMBERS_PAGE = 4
FORUM_LINK = {
    "id": 0,
    "title": "Course forum",
    "custom": {"agora_target": "forum"},
    "line_item": None,
}


def dev_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not connection.app.state.settings.dev:
        raise NotFound("no such page")


# ---- the dev LMS's own key --------------------------------------------------------------------


@lru_cache(maxsize=4)
def _key_at(path: str) -> RSAKey:
    file = Path(path)
    if file.exists():
        return RSAKey.import_key(file.read_text(), parameters={"kid": "dev-lms-1"})
    file.parent.mkdir(parents=True, exist_ok=True)
    key = RSAKey.generate_key(2048, parameters={"kid": "dev-lms-1"})
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.as_pem(private=True))
    return key


def platform_key(settings: AppSettings) -> RSAKey:
    return _key_at(str(settings.data_path / "dev-lms" / "key.pem"))


def urls(settings: AppSettings) -> dict:
    base = settings.base_url
    return {
        "base": base,
        "lms": f"{base}/dev/lms",
        "token": f"{base}/dev/lms/token",
        "lineitems": f"{base}/dev/lms/lineitems",
        "memberships": f"{base}/dev/lms/memberships",
        "deep_link_return": f"{base}/dev/lms/deep-link/return",
        "launch": f"{base}/lti/launch",
        "login": f"{base}/lti/login",
    }


def person(sub: str) -> dict | None:
    for p_sub, name, given, family, role in DEMO_PEOPLE:
        if p_sub == sub:
            return {"sub": sub, "name": name, "given": given, "family": family, "role": role}
    return None


async def _links(connection: asyncpg.Connection) -> list[dict]:
    rows = await connection.fetch(
        "SELECT id, title, custom, line_item FROM devlms_links ORDER BY id LIMIT 200"
    )
    return [FORUM_LINK, *(dict(r) for r in rows)]


async def _link(connection: asyncpg.Connection, link_id: int) -> dict | None:
    if link_id == 0:
        return FORUM_LINK
    row = await connection.fetchrow(
        "SELECT id, title, custom, line_item FROM devlms_links WHERE id = $1", link_id
    )
    return dict(row) if row else None


# ---- pages and the launch flow ----------------------------------------------------------------


@get("/", include_in_schema=False)
async def home(db: Db, settings: AppSettings, request: Request) -> Response:
    """People of the demo course with launch buttons, deep linking, and the gradebook."""
    scores = await db.fetch(
        """SELECT l.label, s.user_sub, s.score_given, s.score_maximum, s.score_timestamp
             FROM devlms_scores s JOIN devlms_lineitems l ON l.id = s.lineitem_id
            ORDER BY l.id, s.user_sub LIMIT 500"""
    )
    body = render(
        "lti/devlms.html",
        locale="en",
        people=[person(p[0]) for p in DEMO_PEOPLE],
        links=await _links(db),
        scores=[dict(s) for s in scores],
        added=request.query_params.get("added"),
        course_title=COURSE_TITLE,
    )
    return html_response(body, headers={"Cache-Control": "no-store"})


@get("/start", include_in_schema=False)
async def start(request: Request, settings: AppSettings) -> Response:
    """Third-party initiated login: send the browser to the tool's /lti/login."""
    sub = request.query_params.get("person", "")
    link = request.query_params.get("link", "0")
    if person(sub) is None or not (link == "deep" or link.isdigit()):
        raise NotFound("no such person or link")
    u = urls(settings)
    query = {
        "iss": DEV_ISSUER,
        "login_hint": sub,
        "target_link_uri": u["launch"],
        "lti_message_hint": f"link:{link}",
        "client_id": DEV_CLIENT_ID,
        "lti_deployment_id": DEV_DEPLOYMENT_ID,
    }
    return Response("", status_code=302, headers={"Location": f"{u['login']}?{urlencode(query)}"})


def _claims(settings: AppSettings, who: dict, nonce: str, link: dict | None) -> dict:
    u, now = urls(settings), int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "aud": DEV_CLIENT_ID,
        "sub": who["sub"],
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "name": who["name"],
        "given_name": who["given"],
        "family_name": who["family"],
        "email": f"{who['sub']}@dev-lms.agora.test",
        "locale": "en",
        c.VERSION: "1.3.0",
        c.DEPLOYMENT_ID: DEV_DEPLOYMENT_ID,
        c.ROLES: ROLE_URIS[who["role"]],
        c.CONTEXT: {
            "id": DEMO_CONTEXT_ID,
            "title": COURSE_TITLE,
            "label": COURSE_LABEL,
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        c.TOOL_PLATFORM: {"guid": "agora-dev-lms", "name": "Agora dev LMS"},
        c.LAUNCH_PRESENTATION: {
            "locale": "en",
            "document_target": "window",
            "return_url": u["lms"],
        },
        c.AGS_ENDPOINT: {
            "scope": [c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_RESULT],
            "lineitems": u["lineitems"],
        },
        c.NRPS: {"context_memberships_url": u["memberships"], "service_versions": ["2.0"]},
    }
    if link is None:
        claims[c.MESSAGE_TYPE] = c.DEEP_LINKING_REQUEST
        claims[c.DL_SETTINGS] = {
            "deep_link_return_url": u["deep_link_return"],
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "accept_lineitem": True,
            "data": "dev-lms-deep-link",
        }
    else:
        claims[c.MESSAGE_TYPE] = c.RESOURCE_LINK_REQUEST
        claims[c.RESOURCE_LINK] = {"id": f"dev-link-{link['id']}", "title": link["title"]}
        claims[c.TARGET_LINK_URI] = u["launch"]
        claims[c.CUSTOM] = link["custom"]
    return claims


@route("/authorize", http_method=["GET", "POST"], include_in_schema=False)
async def authorize(request: Request, db: Db, settings: AppSettings) -> Response:
    """The platform's OIDC authorization endpoint: answers a form_post of a signed id_token."""
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: form.get(k) for k in form})
    u = urls(settings)
    if params.get("client_id") != DEV_CLIENT_ID or params.get("redirect_uri") != u["launch"]:
        return _error("unknown client_id or redirect_uri", 400)
    if params.get("response_type") != "id_token" or params.get("scope") != "openid":
        return _error("response_type must be id_token and scope openid", 400)
    who = person(params.get("login_hint", ""))
    hint = params.get("lti_message_hint", "")
    if who is None or not hint.startswith("link:") or not params.get("nonce"):
        return _error("unknown login_hint or message hint, or no nonce", 400)
    link = None
    if hint != "link:deep":
        raw = hint.removeprefix("link:")
        link = await _link(db, int(raw)) if raw.isdigit() else None
        if link is None:
            return _error("no such link", 404)
    elif who["role"] != "instructor":
        return _error("only the instructor can add content", 403)
    key = platform_key(settings)
    id_token = jwt.encode(
        {"alg": "RS256", "kid": key.kid, "typ": "JWT"},
        _claims(settings, who, params["nonce"], link),
        key,
        algorithms=["RS256"],
    )
    body = render(
        "lti/autopost.html",
        locale="en",
        action=u["launch"],
        fields={"id_token": id_token, "state": params.get("state", "")},
        title=f"Launching Agora as {who['name']}…",
    )
    return html_response(body, headers={"Cache-Control": "no-store"})


@get("/jwks", include_in_schema=False, sync_to_thread=False)
def jwks(settings: AppSettings) -> dict:
    return {
        "keys": [{**platform_key(settings).as_dict(private=False), "use": "sig", "alg": "RS256"}]
    }


async def _tool_claims(db: Db, token: str) -> dict | None:
    """Claims of a JWT signed by the tool (our keys, read directly: same process, same DB)."""
    try:
        published = KeySet.import_key_set(await tool_keys.public_jwks(db))
        return jwt.decode(token, published, algorithms=["RS256"]).claims
    except (JoseError, ValueError, TypeError):
        return None


@post("/deep-link/return", include_in_schema=False, status_code=303)
async def deep_link_return(request: Request, db: Db) -> Response:
    form = await request.form()
    claims = await _tool_claims(db, form.get("JWT") or "")
    if (
        claims is None
        or claims.get("iss") != DEV_CLIENT_ID
        or claims.get("aud") != DEV_ISSUER
        or claims.get(c.MESSAGE_TYPE) != c.DEEP_LINKING_RESPONSE
        or claims.get(c.DL_DATA) != "dev-lms-deep-link"
        or not isinstance(claims.get("exp"), int)
        or claims["exp"] < time.time()
    ):
        return _error("the deep-linking response is not valid", 400)
    added = 0
    for item in claims.get(c.DL_CONTENT_ITEMS, [])[:20]:
        if not isinstance(item, dict) or item.get("type") != "ltiResourceLink":
            continue
        await db.execute(
            "INSERT INTO devlms_links (title, custom, line_item) VALUES ($1, $2, $3)",
            str(item.get("title") or "Agora")[:200],
            item.get("custom") if isinstance(item.get("custom"), dict) else {},
            item.get("lineItem") if isinstance(item.get("lineItem"), dict) else None,
        )
        added += 1
    return Response("", status_code=303, headers={"Location": f"/dev/lms?added={added}"})


# ---- services: token, AGS, NRPS ---------------------------------------------------------------


@post("/token", include_in_schema=False, status_code=200)
async def token(request: Request, db: Db, redis: Redis, settings: AppSettings) -> Response:
    form = await request.form()
    claims = await _tool_claims(db, form.get("client_assertion") or "")
    if (
        form.get("grant_type") != "client_credentials"
        or claims is None
        or claims.get("iss") != DEV_CLIENT_ID
        or claims.get("sub") != DEV_CLIENT_ID
        or claims.get("aud") not in (urls(settings)["token"], [urls(settings)["token"]])
    ):
        return Response({"error": "invalid_client"}, status_code=401)
    scopes = [s for s in str(form.get("scope") or "").split() if s][:10]
    access = secrets.token_urlsafe(24)
    await redis.set(f"devlms:token:{access}", json.dumps(scopes), ex=3600)
    return Response(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": " ".join(scopes),
        }
    )


async def _authorised(request: Request, redis: Redis, scope: str) -> bool:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return False
    raw = await redis.get(f"devlms:token:{header[7:].strip()}")
    return raw is not None and scope in json.loads(raw)


def _unauthorised() -> Response:
    return Response({"error": "invalid_token"}, status_code=401)


def _lineitem_json(row, settings: AppSettings) -> dict:
    return {
        "id": f"{urls(settings)['lineitems']}/{row['id']}",
        "label": row["label"],
        "scoreMaximum": row["score_maximum"],
        "resourceId": row["resource_id"],
        "resourceLinkId": row["resource_link_id"],
        "tag": row["tag"],
    }


@get("/lineitems", include_in_schema=False)
async def list_lineitems(request: Request, db: Db, redis: Redis, settings: AppSettings) -> Response:
    if not await _authorised(request, redis, c.SCOPE_LINEITEM):
        return _unauthorised()
    resource_id = request.query_params.get("resource_id")
    rows = await db.fetch(
        """SELECT * FROM devlms_lineitems WHERE context_id = $1
              AND ($2::text IS NULL OR resource_id = $2) ORDER BY id LIMIT 100""",
        DEMO_CONTEXT_ID,
        resource_id,
    )
    return Response(
        [_lineitem_json(r, settings) for r in rows],
        media_type="application/vnd.ims.lis.v2.lineitemcontainer+json",
    )


@post("/lineitems", include_in_schema=False, status_code=201)
async def create_lineitem(
    request: Request, db: Db, redis: Redis, settings: AppSettings
) -> Response:
    if not await _authorised(request, redis, c.SCOPE_LINEITEM):
        return _unauthorised()
    body = json.loads(await request.body() or b"{}")
    maximum = body.get("scoreMaximum") if isinstance(body, dict) else None
    if not isinstance(maximum, int | float) or maximum <= 0 or not body.get("label"):
        return Response(
            {"error": "label and a positive scoreMaximum are required"}, status_code=400
        )
    row = await db.fetchrow(
        """INSERT INTO devlms_lineitems (context_id, label, score_maximum, resource_id,
                   resource_link_id, tag)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        DEMO_CONTEXT_ID,
        str(body["label"])[:200],
        float(maximum),
        str(body.get("resourceId") or "")[:200],
        str(body.get("resourceLinkId") or "")[:200],
        str(body.get("tag") or "")[:200],
    )
    return Response(
        _lineitem_json(row, settings),
        status_code=201,
        media_type="application/vnd.ims.lis.v2.lineitem+json",
    )


@post("/lineitems/{item_id:int}/scores", include_in_schema=False, status_code=200)
async def post_score(request: Request, db: Db, redis: Redis) -> Response:
    if not await _authorised(request, redis, c.SCOPE_SCORE):
        return _unauthorised()
    item_id = request.path_params["item_id"]
    body = json.loads(await request.body() or b"{}")
    required = ("userId", "timestamp", "activityProgress", "gradingProgress")
    if not isinstance(body, dict) or any(not body.get(k) for k in required):
        return Response({"error": f"a score needs {', '.join(required)}"}, status_code=400)
    if person(body["userId"]) is None:
        return Response({"error": "unknown userId"}, status_code=400)
    from datetime import datetime

    try:
        stamp = datetime.fromisoformat(body["timestamp"])
    except ValueError:
        return Response({"error": "timestamp is not ISO 8601"}, status_code=400)
    status = await db.execute(
        """INSERT INTO devlms_scores AS s (lineitem_id, user_sub, score_given, score_maximum,
                   comment, activity_progress, grading_progress, score_timestamp)
           SELECT id, $2, $3, $4, $5, $6, $7, $8 FROM devlms_lineitems WHERE id = $1
           ON CONFLICT (lineitem_id, user_sub) DO UPDATE
              SET score_given = EXCLUDED.score_given, score_maximum = EXCLUDED.score_maximum,
                  comment = EXCLUDED.comment, activity_progress = EXCLUDED.activity_progress,
                  grading_progress = EXCLUDED.grading_progress,
                  score_timestamp = EXCLUDED.score_timestamp
            WHERE EXCLUDED.score_timestamp > s.score_timestamp""",
        item_id,
        body["userId"],
        body.get("scoreGiven"),
        body.get("scoreMaximum"),
        str(body.get("comment") or "")[:2000],
        body["activityProgress"],
        body["gradingProgress"],
        stamp,
    )
    if status == "INSERT 0 0" and not await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM devlms_lineitems WHERE id = $1)", item_id
    ):
        return Response({"error": "no such line item"}, status_code=404)
    return Response(b"", status_code=200)


@get("/lineitems/{item_id:int}/results", include_in_schema=False)
async def results(request: Request, db: Db, redis: Redis, settings: AppSettings) -> Response:
    if not await _authorised(request, redis, c.SCOPE_RESULT):
        return _unauthorised()
    item_id = request.path_params["item_id"]
    rows = await db.fetch(
        "SELECT * FROM devlms_scores WHERE lineitem_id = $1 ORDER BY user_sub", item_id
    )
    line = f"{urls(settings)['lineitems']}/{item_id}"
    return Response(
        [
            {
                "id": f"{line}/results/{r['user_sub']}",
                "scoreOf": line,
                "userId": r["user_sub"],
                "resultScore": r["score_given"],
                "resultMaximum": r["score_maximum"],
                "comment": r["comment"],
            }
            for r in rows
        ],
        media_type="application/vnd.ims.lis.v2.resultcontainer+json",
    )


@get("/memberships", include_in_schema=False)
async def memberships(request: Request, redis: Redis, settings: AppSettings) -> Response:
    if not await _authorised(request, redis, c.SCOPE_NRPS):
        return _unauthorised()
    page = request.query_params.get("page", "0")
    page = int(page) if page.isdigit() else 0
    chunk = DEMO_PEOPLE[page * MEMBERS_PAGE : (page + 1) * MEMBERS_PAGE]
    headers = {}
    if (page + 1) * MEMBERS_PAGE < len(DEMO_PEOPLE):
        headers["Link"] = f'<{urls(settings)["memberships"]}?page={page + 1}>; rel="next"'
    members = [
        {
            "user_id": sub,
            "name": name,
            "given_name": given,
            "family_name": family,
            "email": f"{sub}@dev-lms.agora.test",
            "status": "Active",
            "roles": ROLE_URIS[role],
        }
        for sub, name, given, family, role in chunk
    ]
    return Response(
        {
            "id": urls(settings)["memberships"],
            "context": {"id": DEMO_CONTEXT_ID, "title": COURSE_TITLE},
            "members": members,
        },
        headers=headers,
        media_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
    )


def _error(reason: str, status: int) -> Response:
    body = render("lti/error.html", locale="en", reason=reason, status=status)
    return html_response(body, status=status)


router = Router(
    path="/dev/lms",
    route_handlers=[
        home,
        start,
        authorize,
        jwks,
        deep_link_return,
        token,
        list_lineitems,
        create_lineitem,
        post_score,
        results,
        memberships,
    ],
    guards=[dev_only],
    include_in_schema=False,
)
ROUTES: list = [router]
