"""A small LTI 1.3 platform on loopback: a local stand-in for the LMS in tests.

It is a real HTTP server (uvicorn, in the test's event loop) serving its JWKS, an OAuth2 token
endpoint that verifies our client assertion, AGS line items / scores / results, NRPS membership
pages and an OpenID configuration + registration endpoint for dynamic registration. It records
what it was asked so tests can assert on it.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from litestar import Litestar, Request, Response, get, post

from agora.lti import claims as c

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serve(app, sock: socket.socket | None = None):
    """Serve an ASGI app on 127.0.0.1:<free port> in this event loop; yield its base URL."""
    sock = sock or bound_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", ws="none", http="h11", access_log=False
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # older uvicorn
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def new_key(kid: str | None = None) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid or secrets.token_hex(4)})


@dataclass
class Platform:
    """State of the stand-in platform; `url` is set once it is served."""

    url: str = ""
    client_id: str = "agora-tool"
    deployment_id: str = "dep-1"
    keys: list[RSAKey] = field(default_factory=list)
    tool_jwks: dict = field(default_factory=dict)
    jwks_fetches: int = 0
    token_requests: list[dict] = field(default_factory=list)
    tokens: dict[str, set] = field(default_factory=dict)
    line_items: dict[int, dict] = field(default_factory=dict)
    scores: list[dict] = field(default_factory=list)
    score_failures: int = 0
    score_status_on_failure: int = 500
    members: list[dict] = field(default_factory=list)
    page_size: int = 2
    link_header_name: str = "Link"
    membership_requests: int = 0
    # Course Groups: each group {"id", "name", "set_id"?}, each set {"id", "name"}; members name
    # theirs in "group_enrollments". A launch names the service with groups=platform.groups_claim.
    groups: list[dict] = field(default_factory=list)
    group_sets: list[dict] = field(default_factory=list)
    group_requests: int = 0
    registrations: list[dict] = field(default_factory=list)
    user_agents: set = field(default_factory=set)
    # What /.well-known/openid-configuration answers differently (e.g. another issuer).
    configuration: dict = field(default_factory=dict)
    config_fetches: int = 0
    token_expires_in: str = "3600"

    def reset(self) -> None:
        if not hasattr(self, "_first_key"):
            self._first_key = new_key("platform-key-1")  # RSA generation is slow: do it once
        self.keys = [self._first_key]
        self.tool_jwks = {}
        self.jwks_fetches = 0
        self.token_requests.clear()
        self.tokens.clear()
        self.line_items.clear()
        self.scores.clear()
        self.score_failures = 0
        self.members = []
        self.membership_requests = 0
        self.groups = []
        self.group_sets = []
        self.group_requests = 0
        self.registrations.clear()
        self.user_agents.clear()
        self.configuration = {}
        self.config_fetches = 0
        self.token_expires_in = "3600"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def groups_claim(self) -> dict:
        return {
            "scope": [c.SCOPE_GROUPS],
            "context_groups_url": f"{self.url}/groups",
            "context_group_sets_url": f"{self.url}/group_sets",
            "service_versions": ["1.0"],
        }

    @property
    def key(self) -> RSAKey:
        return self.keys[0]

    def id_token(self, nonce: str, /, *, key: RSAKey | None = None, header=None, **claims) -> str:
        """A signed id_token; keyword claims override (None removes a claim)."""
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "user-learner",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Lea Learner",
            "given_name": "Lea",
            "family_name": "Learner",
            "email": "lea@example.test",
            c.VERSION: "1.3.0",
            c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
            c.DEPLOYMENT_ID: self.deployment_id,
            c.ROLES: [MEMBERSHIP + "Learner"],
            c.CONTEXT: {"id": "course-ctx-1", "title": "Oceans 101", "label": "OCE101"},
            c.RESOURCE_LINK: {"id": "link-1", "title": "Discussions"},
            c.TARGET_LINK_URI: "http://testserver.local/lti/launch",
            c.LAUNCH_PRESENTATION: {"locale": "fr-FR", "document_target": "iframe"},
            c.AGS_ENDPOINT: {
                "scope": [c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_RESULT],
                "lineitems": f"{self.url}/lineitems",
            },
            c.NRPS: {
                "context_memberships_url": f"{self.url}/memberships",
                "service_versions": ["2.0"],
            },
        }
        for name, value in claims.items():
            name = {
                "roles": c.ROLES,
                "custom": c.CUSTOM,
                "message_type": c.MESSAGE_TYPE,
                "version": c.VERSION,
                "deployment_id": c.DEPLOYMENT_ID,
                "context": c.CONTEXT,
                "resource_link": c.RESOURCE_LINK,
                "dl_settings": c.DL_SETTINGS,
                "ags": c.AGS_ENDPOINT,
                "nrps": c.NRPS,
                "groups": c.GROUPS,
            }.get(name, name)
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        key = key or self.key
        head = {"alg": "RS256", "kid": key.kid, "typ": "JWT", **(header or {})}
        return jwt.encode(head, body, key, algorithms=["RS256"])

    def app(self) -> Litestar:
        return build_app(self)


def _bearer(platform: Platform, request: Request, scope: str) -> Response | None:
    platform.user_agents.add(request.headers.get("user-agent", ""))
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if scope not in platform.tokens.get(token, set()):
        return Response({"error": "invalid_token"}, status_code=401)
    return None


def build_app(platform: Platform) -> Litestar:
    @get("/jwks", sync_to_thread=False)
    def jwks() -> dict:
        platform.jwks_fetches += 1
        return {"keys": [k.as_dict(private=False) for k in platform.keys]}

    @post("/token", status_code=200)
    async def token(request: Request) -> Response:
        platform.user_agents.add(request.headers.get("user-agent", ""))
        form = await request.form()
        assertion = form.get("client_assertion", "")
        try:
            claims = jwt.decode(
                assertion, KeySet.import_key_set(platform.tool_jwks), algorithms=["RS256"]
            ).claims
        except Exception as error:
            return Response({"error": "invalid_client", "detail": str(error)}, status_code=401)
        if (
            form.get("grant_type") != "client_credentials"
            or claims.get("iss") != platform.client_id
            or claims.get("sub") != platform.client_id
            or claims.get("aud") not in (f"{platform.url}/token", [f"{platform.url}/token"])
        ):
            return Response({"error": "invalid_grant"}, status_code=400)
        scopes = set(form.get("scope", "").split())
        access = secrets.token_hex(8)
        platform.tokens[access] = scopes
        platform.token_requests.append({"scopes": scopes, "jti": claims.get("jti")})
        # Written by hand: JSON as some platforms write it (`Infinity` is not JSON, Python
        # reads it all the same).
        body = (
            f'{{"access_token": "{access}", "token_type": "bearer", '
            f'"expires_in": {platform.token_expires_in}, "scope": "{" ".join(sorted(scopes))}"}}'
        )
        return Response(body.encode(), media_type="application/json")

    @get("/lineitems")
    async def list_line_items(request: Request) -> Response:
        if (denied := _bearer(platform, request, c.SCOPE_LINEITEM)) is not None:
            return denied
        wanted = request.query_params.get("resource_id")
        items = [i for i in platform.line_items.values() if not wanted or i["resourceId"] == wanted]
        return Response(items, media_type="application/vnd.ims.lis.v2.lineitemcontainer+json")

    @post("/lineitems", status_code=201)
    async def create_line_item(request: Request) -> Response:
        if (denied := _bearer(platform, request, c.SCOPE_LINEITEM)) is not None:
            return denied
        body = await request.json()
        item_id = len(platform.line_items) + 1
        item = {**body, "id": f"{platform.url}/lineitems/{item_id}"}
        platform.line_items[item_id] = item
        return Response(
            item, status_code=201, media_type="application/vnd.ims.lis.v2.lineitem+json"
        )

    @post("/lineitems/{item_id:int}/scores", status_code=200)
    async def post_score(request: Request) -> Response:
        item_id = request.path_params["item_id"]
        if (denied := _bearer(platform, request, c.SCOPE_SCORE)) is not None:
            return denied
        if platform.score_failures > 0:
            platform.score_failures -= 1
            return Response({"error": "busy"}, status_code=platform.score_status_on_failure)
        body = await request.json()
        platform.scores.append(
            {**body, "lineitem": item_id, "content_type": request.headers.get("content-type")}
        )
        return Response(b"", status_code=200)

    @get("/lineitems/{item_id:int}/results")
    async def results(request: Request) -> Response:
        item_id = request.path_params["item_id"]
        if (denied := _bearer(platform, request, c.SCOPE_RESULT)) is not None:
            return denied
        latest: dict[str, dict] = {}
        for score in platform.scores:
            if score["lineitem"] == item_id:
                latest[score["userId"]] = score
        return Response(
            [
                {
                    "userId": s["userId"],
                    "resultScore": s.get("scoreGiven"),
                    "resultMaximum": s.get("scoreMaximum"),
                    "scoreOf": f"{platform.url}/lineitems/{item_id}",
                }
                for s in latest.values()
            ]
        )

    @get("/memberships")
    async def memberships(request: Request) -> Response:
        if (denied := _bearer(platform, request, c.SCOPE_NRPS)) is not None:
            return denied
        platform.membership_requests += 1
        page = int(request.query_params.get("page", "0"))
        chunk = platform.members[page * platform.page_size : (page + 1) * platform.page_size]
        headers = {}
        if (page + 1) * platform.page_size < len(platform.members):
            headers[platform.link_header_name] = (
                f'<{platform.url}/memberships?page={page + 1}>; rel="next"'
            )
        body = {
            "id": f"{platform.url}/memberships",
            "context": {"id": "course-ctx-1", "title": "Oceans 101"},
            "members": chunk,
        }
        return Response(
            body,
            headers=headers,
            media_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
        )

    def group_container(request: Request, name: str, items: list[dict]) -> Response:
        """Groups or sets, page_size at a time, the next page named by a Link header."""
        if (denied := _bearer(platform, request, c.SCOPE_GROUPS)) is not None:
            return denied
        platform.group_requests += 1
        page = int(request.query_params.get("page", "0"))
        headers = {}
        if (page + 1) * platform.page_size < len(items):
            headers["Link"] = f'<{platform.url}/{name}?page={page + 1}>; rel="next"'
        return Response(
            {
                "id": f"{platform.url}/{name}",
                "sets" if name == "group_sets" else "groups": items[
                    page * platform.page_size : (page + 1) * platform.page_size
                ],
            },
            headers=headers,
            media_type="application/vnd.ims.lti-gs.v1.contextgroupcontainer+json",
        )

    @get("/groups")
    async def list_groups(request: Request) -> Response:
        return group_container(request, "groups", platform.groups)

    @get("/group_sets")
    async def list_group_sets(request: Request) -> Response:
        return group_container(request, "group_sets", platform.group_sets)

    @get("/redirect")
    async def open_redirect(request: Request) -> Response:
        """An open redirect, as many LMS have one (e.g. after login)."""
        to = request.query_params.get("to", "/")
        return Response(b"", status_code=302, headers={"Location": to})

    @get("/.well-known/openid-configuration", sync_to_thread=False)
    def openid_configuration() -> dict:
        platform.config_fetches += 1
        return {
            "issuer": platform.issuer,
            "authorization_endpoint": f"{platform.url}/auth",
            "token_endpoint": f"{platform.url}/token",
            "jwks_uri": f"{platform.url}/jwks",
            "registration_endpoint": f"{platform.url}/register",
            "scopes_supported": ["openid", c.SCOPE_SCORE, c.SCOPE_LINEITEM, c.SCOPE_NRPS],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "stand-in",
                "version": "1.0",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
            },
            **platform.configuration,
        }

    @post("/register", status_code=200)
    async def register(request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer reg-token-1":
            # What an internal service might answer: it must never reach the person registering.
            return Response(
                {"error": "unauthorized", "detail": "internal-secret-detail"}, status_code=401
            )
        body = await request.json()
        platform.registrations.append(body)
        return Response(
            {
                **body,
                "client_id": "registered-client-7",
                "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                    **body.get("https://purl.imsglobal.org/spec/lti-tool-configuration", {}),
                    "deployment_id": "registered-deployment-1",
                },
            }
        )

    return Litestar(
        route_handlers=[
            jwks,
            token,
            list_line_items,
            create_line_item,
            post_score,
            results,
            memberships,
            list_groups,
            list_group_sets,
            openid_configuration,
            open_redirect,
            register,
        ],
        debug=False,
    )
