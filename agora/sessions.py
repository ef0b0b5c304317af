"""Sessions created at LTI launch, and the Principal every API request is made by.

The token travels as `Authorization: Bearer TOKEN` (what the UI's htmx sends from the page's
<meta name="agora-session">) or, as a convenience only, in a cookie. Only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import asyncpg
import msgspec
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency

from agora.errors import NotFound, Unauthorized
from agora.queries import sessions as session_queries

AnyConnection: TypeAlias = ASGIConnection[Any, Any, Any, Any]
COOKIE_NAME = "agora_session"
STAFF_ROLES = frozenset({"instructor", "ta"})


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


def token_from(connection: AnyConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return connection.cookies.get(COOKIE_NAME) or None


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
    token = token_from(request)
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
