"""The dev LMS's LTI Advantage services, so passback and roster sync work under `make run`:
an OAuth2 client_credentials token endpoint (the tool's signed client assertion), AGS line items,
scores and results, NRPS memberships paged with a Link header (each member with the groups it is
in) and the Course Groups service's groups and group sets."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post

from agora.demo import DEMO_CONTEXT_ID, DEV_CLIENT_ID
from agora.deps import AppSettings, Db, Redis
from agora.devlms import queries
from agora.devlms.platform import (
    COURSE_TITLE,
    GROUP_SETS,
    GROUPS,
    PEOPLE,
    ROLE_URIS,
    groups_of,
    person,
    tool_claims,
    urls,
)
from agora.lti import claims as c
from agora.params import PathId

TOKEN_TTL = 3600
MAX_SCOPES = 10
MEMBERS_PAGE = 4
LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
GROUP_CONTAINER = "application/vnd.ims.lti-gs.v1.contextgroupcontainer+json"
SCORE_FIELDS = ("userId", "timestamp", "activityProgress", "gradingProgress")


def token_key(access_token: str) -> str:
    return f"devlms:token:{access_token}"


@post("/token", include_in_schema=False, status_code=200)
async def token(
    request: Request[Any, Any, Any], db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    """client_credentials with a JWT client assertion signed by the tool's current key."""
    form = await request.form()
    assertion = form.get("client_assertion")
    claims = await tool_claims(db, assertion if isinstance(assertion, str) else "")
    token_url = urls(settings).token
    if (
        form.get("grant_type") != "client_credentials"
        or claims is None
        or claims.get("iss") != DEV_CLIENT_ID
        or claims.get("sub") != DEV_CLIENT_ID
        or claims.get("aud") not in (token_url, [token_url])
    ):
        return Response({"error": "invalid_client"}, status_code=401)
    scopes = [s for s in str(form.get("scope") or "").split() if s][:MAX_SCOPES]
    access = secrets.token_urlsafe(24)
    await redis.set(token_key(access), json.dumps(scopes), ex=TOKEN_TTL)
    return Response(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "scope": " ".join(scopes),
        }
    )


async def authorised(request: Request[Any, Any, Any], redis: Redis, scope: str) -> bool:
    """Whether the request's bearer token was issued by /token with `scope`."""
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return False
    raw = await redis.get(token_key(header[7:].strip()))
    return raw is not None and scope in json.loads(raw)


def unauthorised() -> Response[Any]:
    return Response({"error": "invalid_token"}, status_code=401)


def bad_request(reason: str) -> Response[Any]:
    return Response({"error": reason}, status_code=400)


def lineitem_json(item: queries.LineItem, settings: AppSettings) -> dict[str, Any]:
    return {
        "id": f"{urls(settings).lineitems}/{item.id}",
        "label": item.label,
        "scoreMaximum": item.score_maximum,
        "resourceId": item.resource_id,
        "resourceLinkId": item.resource_link_id,
        "tag": item.tag,
    }


@get("/lineitems", include_in_schema=False)
async def list_lineitems(
    request: Request[Any, Any, Any], db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    if not await authorised(request, redis, c.SCOPE_LINEITEM):
        return unauthorised()
    items = await queries.select_lineitems(
        db, DEMO_CONTEXT_ID, resource_id=request.query_params.get("resource_id")
    )
    return Response(
        [lineitem_json(item, settings) for item in items], media_type=LINEITEM_CONTAINER
    )


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@post("/lineitems", include_in_schema=False, status_code=201)
async def create_lineitem(
    request: Request[Any, Any, Any], db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    if not await authorised(request, redis, c.SCOPE_LINEITEM):
        return unauthorised()
    body = _json_object(await request.body()) or {}
    maximum = body.get("scoreMaximum")
    if not isinstance(maximum, int | float) or maximum <= 0 or not body.get("label"):
        return bad_request("label and a positive scoreMaximum are required")
    item = await queries.insert_lineitem(
        db,
        DEMO_CONTEXT_ID,
        label=str(body["label"])[:200],
        score_maximum=float(maximum),
        resource_id=str(body.get("resourceId") or "")[:200],
        resource_link_id=str(body.get("resourceLinkId") or "")[:200],
        tag=str(body.get("tag") or "")[:200],
    )
    return Response(lineitem_json(item, settings), status_code=201, media_type=LINEITEM)


def _score(body: dict[str, Any]) -> queries.Score | str:
    """The checked score of an AGS Score body, or why it is refused."""
    if any(not body.get(k) for k in SCORE_FIELDS):
        return f"a score needs {', '.join(SCORE_FIELDS)}"
    if person(str(body["userId"])) is None:
        return "unknown userId"
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    if any(v is not None and not isinstance(v, int | float) for v in (given, maximum)):
        return "scoreGiven and scoreMaximum are numbers"
    try:
        stamp = datetime.fromisoformat(str(body["timestamp"]))
    except ValueError:
        return "timestamp is not ISO 8601"
    return queries.Score(
        user_sub=str(body["userId"]),
        score_given=given,
        score_maximum=maximum,
        comment=str(body.get("comment") or "")[:2000],
        activity_progress=str(body["activityProgress"]),
        grading_progress=str(body["gradingProgress"]),
        timestamp=stamp,
    )


@post("/lineitems/{item_id:int}/scores", include_in_schema=False, status_code=200)
async def post_score(
    request: Request[Any, Any, Any], item_id: PathId, db: Db, redis: Redis
) -> Response[Any]:
    if not await authorised(request, redis, c.SCOPE_SCORE):
        return unauthorised()
    body = _json_object(await request.body())
    if body is None:
        return bad_request(f"a score needs {', '.join(SCORE_FIELDS)}")
    score = _score(body)
    if isinstance(score, str):
        return bad_request(score)
    if not await queries.upsert_score(db, item_id, score) and not await queries.lineitem_exists(
        db, item_id
    ):
        return Response({"error": "no such line item"}, status_code=404)
    return Response(b"", status_code=200)


@get("/lineitems/{item_id:int}/results", include_in_schema=False)
async def results(
    request: Request[Any, Any, Any], item_id: PathId, db: Db, redis: Redis, settings: AppSettings
) -> Response[Any]:
    if not await authorised(request, redis, c.SCOPE_RESULT):
        return unauthorised()
    line = f"{urls(settings).lineitems}/{item_id}"
    return Response(
        [
            {
                "id": f"{line}/results/{r.user_sub}",
                "scoreOf": line,
                "userId": r.user_sub,
                "resultScore": r.score_given,
                "resultMaximum": r.score_maximum,
                "comment": r.comment,
            }
            for r in await queries.select_results(db, item_id)
        ],
        media_type=RESULT_CONTAINER,
    )


@get("/memberships", include_in_schema=False)
async def memberships(
    request: Request[Any, Any, Any], redis: Redis, settings: AppSettings
) -> Response[Any]:
    """The demo people, MEMBERS_PAGE at a time, the next page named by a Link header."""
    if not await authorised(request, redis, c.SCOPE_NRPS):
        return unauthorised()
    raw_page = request.query_params.get("page", "0")
    page = int(raw_page) if raw_page.isdigit() else 0
    chunk = PEOPLE[page * MEMBERS_PAGE : (page + 1) * MEMBERS_PAGE]
    headers = {}
    if (page + 1) * MEMBERS_PAGE < len(PEOPLE):
        headers["Link"] = f'<{urls(settings).memberships}?page={page + 1}>; rel="next"'
    members = [
        {
            "user_id": p.sub,
            "name": p.name,
            "given_name": p.given,
            "family_name": p.family,
            "email": p.email,
            "status": "Active",
            "roles": ROLE_URIS[p.role],
            "group_enrollments": [{"group_id": group} for group in groups_of(p.sub)],
        }
        for p in chunk
    ]
    return Response(
        {
            "id": urls(settings).memberships,
            "context": {"id": DEMO_CONTEXT_ID, "title": COURSE_TITLE},
            "members": members,
        },
        headers=headers,
        media_type=MEMBERSHIP_CONTAINER,
    )


@get("/groups", include_in_schema=False)
async def groups(
    request: Request[Any, Any, Any], redis: Redis, settings: AppSettings
) -> Response[Any]:
    """The demo course's groups, each naming its set (one page: there are four)."""
    if not await authorised(request, redis, c.SCOPE_GROUPS):
        return unauthorised()
    found = [{"id": key, "name": name, "set_id": set_id} for set_id, key, name, _ in GROUPS]
    return Response({"id": urls(settings).groups, "groups": found}, media_type=GROUP_CONTAINER)


@get("/group-sets", include_in_schema=False)
async def group_sets(
    request: Request[Any, Any, Any], redis: Redis, settings: AppSettings
) -> Response[Any]:
    if not await authorised(request, redis, c.SCOPE_GROUPS):
        return unauthorised()
    sets = [{"id": key, "name": name} for key, name in GROUP_SETS]
    return Response({"id": urls(settings).group_sets, "sets": sets}, media_type=GROUP_CONTAINER)
