"""Sessions created at LTI launch, and the Principal every API request is made by.

The token travels as `Authorization: Bearer TOKEN` (what the UI's htmx sends from the page's
<meta name="agora-session">) or in the session cookie the launch sets, which only carries the
browser's own navigations inside the LMS iframe (reload, back/forward, a link opened): a
partitioned (CHIPS) cookie, so blocking third-party cookies does not drop it, and nothing needs it
(without it a reload recovers the token kept in the tab). Only the token's SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import asyncpg
import msgspec
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency

from agora.errors import Forbidden, NotFound, Unauthorized
from agora.queries import sessions as session_queries

AnyConnection: TypeAlias = ASGIConnection[Any, Any, Any, Any]
COOKIE_NAME = "agora_session"
# The cookie goes only to the course's pages (under the page router's /ui): two courses opened
# from one LMS keep a cookie each, and the JSON API never sees one (it takes the Bearer header).
COOKIE_PATH = "/ui/courses/{course_id}"
STAFF_ROLES = frozenset({"instructor", "ta"})
ROLE_RANK = {"learner": 0, "ta": 1, "instructor": 2}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Principal(msgspec.Struct, frozen=True):
    """Who makes a request: one user, in the one course their launch opened, with one role."""

    user_id: int
    course_id: int
    role: str
    name: str = ""
    locale: str = "en"
    target: dict[str, Any] = {}

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"

    def require_course(self, course_id: int) -> None:
        """A session opens one course; any other course does not exist for it (404, not 403)."""
        if course_id != self.course_id:
            raise NotFound("no such course")


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_session(
    connection: asyncpg.Connection,
    *,
    user_id: int,
    course_id: int,
    role: str,
    ttl_seconds: int,
    locale: str = "en",
    target: dict[str, Any] | None = None,
) -> str:
    """A new session for a launch. The launch's role is the truth from now on: this user's
    older sessions in this course with a higher role are revoked in the same transaction, so a
    demoted instructor loses moderator rights at once, not when the old session expires."""
    await session_queries.delete_user_sessions_with_roles(
        connection,
        user_id=user_id,
        course_id=course_id,
        roles=[r for r, rank in ROLE_RANK.items() if rank > ROLE_RANK[role]],
    )
    token = secrets.token_urlsafe(32)
    await session_queries.insert_session(
        connection,
        _hash(token),
        user_id=user_id,
        course_id=course_id,
        role=role,
        locale=locale,
        target=target or {},
        expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds),
    )
    return token


async def select_principal(connection: asyncpg.Connection, token: str) -> Principal | None:
    session = await session_queries.select_active_session(connection, _hash(token))
    if session is None:
        return None
    return Principal(
        user_id=session.user_id,
        course_id=session.course_id,
        role=session.role,
        name=session.name,
        locale=session.locale,
        target=session.target,
    )


async def delete_expired_sessions(connection: asyncpg.Connection) -> int:
    return await session_queries.delete_expired_sessions(connection)


def session_cookie(token: str, course_id: int, max_age: int) -> str:
    """The Set-Cookie value a launch answers with. SameSite=None because the LMS frames us from
    another site; Partitioned (CHIPS) so browsers that block third-party cookies keep it, in a
    jar of the LMS's site only; HttpOnly: page scripts use the meta tag. Secure is required by
    both; browsers treat http://localhost and 127.0.0.1 as secure, so dev works over http."""
    path = COOKIE_PATH.format(course_id=course_id)
    return (
        f"{COOKIE_NAME}={token}; Path={path}; Max-Age={max_age}; "
        "Secure; HttpOnly; SameSite=None; Partitioned"
    )


def bearer_token(connection: AnyConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def token_from(connection: AnyConnection) -> str | None:
    """The request's session token: the Bearer header, else the session cookie."""
    return bearer_token(connection) or connection.cookies.get(COOKIE_NAME) or None


def require_same_origin(request: AnyConnection) -> None:
    """CSRF defence for a state-changing request authenticated by the cookie alone.

    Why a check of where the request comes from rather than a CSRF token: every page already
    holds a per-session secret, the Bearer token in its meta tag, which htmx sends on every
    request, so a cookie-only write is either a form posted without htmx or a forgery; a second
    token would duplicate the Bearer, and a double-submit cookie could itself be dropped by a
    browser blocking third-party cookies. Browsers label every request with Sec-Fetch-Site and
    every POST with Origin, and no page on another site can forge either. So a cookie write is
    accepted only when the browser says it comes from our own origin; a client that sends
    neither header is not a browser and must use the Bearer header (which needs no CSRF check:
    another site cannot make a browser send it)."""
    if request.scope.get("method", "GET") in SAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site == "same-origin":
            return
    elif request.headers.get("origin") == _own_origin(request):
        return
    raise Forbidden(
        "this change did not come from an Agora page (cross-site request refused); "
        "API clients send 'Authorization: Bearer TOKEN'"
    )


def _own_origin(request: AnyConnection) -> str:
    parts = urlsplit(request.app.state.settings.base_url)
    return f"{parts.scheme}://{parts.netloc}"


COURSE_PATH_PARAMETER = "course_id"
PRINCIPAL_STATE_KEY = "agora_principal"


def wants_principal(request: AnyConnection) -> bool:
    """Whether the route's handler declares the `principal` dependency."""
    handler = request.scope.get("route_handler")
    return handler is not None and "principal" in handler.parsed_fn_signature.parameters


async def authenticate(connection: asyncpg.Connection, request: AnyConnection) -> Principal:
    """The request's Principal, or 401; and the course guard: on every route whose path names a
    course (`{course_id:int}`), a session opened in another course gets 404 before the handler
    runs, so no handler repeats the check. Resources addressed by their own id are scoped by the
    services, which look them up within `principal.course_id`."""
    token = bearer_token(request)
    if token is None:
        token = request.cookies.get(COOKIE_NAME) or None
        if token is not None:
            require_same_origin(request)
    if not token:
        raise Unauthorized("send the session token as 'Authorization: Bearer TOKEN'")
    principal = await select_principal(connection, token)
    if principal is None:
        raise Unauthorized("the session is unknown or has expired; launch again from the LMS")
    course_id = request.path_params.get(COURSE_PATH_PARAMETER)
    if course_id is not None:
        principal.require_course(course_id)
    request.scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
    return principal


async def provide_principal(
    request: AnyConnection, db: NamedDependency[asyncpg.Connection]
) -> Principal:
    """Litestar dependency: the Principal that `provide_db` authenticated on opening the
    request's connection.

    Authentication happens inside the db dependency on purpose: Litestar only registers a
    generator dependency's cleanup once every dependency resolved, so a 401/404 raised here,
    after the connection was opened, would leave that connection (and its transaction) to the
    garbage collector. Raised inside `provide_db` before its `yield`, it unwinds normally."""
    principal = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    if isinstance(principal, Principal):
        return principal
    return await authenticate(db, request)  # a dependency (not the handler) asked for it
