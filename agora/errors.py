"""Domain exceptions and the one place that turns errors into application/problem+json."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import asyncpg
import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandler, ExceptionHandlersMap
from redis import exceptions as redis_errors

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://agora.example/problems/"

log = logging.getLogger("agora.errors")


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[dict[str, Any]] | None = None


class DomainError(Exception):
    """Base of every error a service raises on purpose. Subclasses fix the status and type."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str = "", *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class Gone(DomainError):
    status, slug, title = 410, "gone", "Gone"


class Unprocessable(DomainError):
    status, slug, title = 422, "unprocessable", "Cannot process this request"


class TooLarge(DomainError):
    status, slug, title = 413, "too-large", "Too large"


class UnsupportedType(DomainError):
    status, slug, title = 415, "unsupported-type", "Unsupported file type"


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


RETRY_AFTER_SECONDS = 5


class Unavailable(DomainError):
    """503: a dependency is down or the process is saturated; the client should retry later."""

    status, slug, title = 503, "unavailable", "Service unavailable"

    def __init__(self, detail: str = "", *, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str = "",
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[bytes]:
    body = Problem(TYPE_BASE + slug, title, status, detail, errors)
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers or {},
    )


def domain_error_handler(_: Request[Any, Any, Any], error: DomainError) -> Response[bytes]:
    return problem_response(
        error.status, error.slug, error.title, error.detail, headers=error.headers
    )


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


def http_error_handler(_: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    status = error.status_code
    slug, title = _HTTP_SLUGS.get(status, ("error", "Error"))
    if status >= 500:
        log.error("HTTP %s: %s", status, error.detail)
    errors = None
    if isinstance(error, ValidationException):
        slug, title = "invalid-input", "Invalid input"
        errors = error.extra if isinstance(error.extra, list) else None
    detail = error.detail if error.detail != title else ""
    return problem_response(status, slug, title, detail, errors=errors, headers=error.headers)


# Errors that mean PostgreSQL or Redis cannot be reached right now (down, restarting, loading,
# out of connections, the connection dropped mid-request), not a bug: the client retries later.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,  # class 08, the connection closed under a query
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections
)
REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError,  # also BusyLoadingError: Redis loading its data
    redis_errors.TimeoutError,
)
NETWORK_UNAVAILABLE: tuple[type[Exception], ...] = (ConnectionError, TimeoutError)


def dropped_connection(error: Exception) -> bool:
    """False for the asyncpg errors that name a bug rather than a connection PostgreSQL dropped.

    "connection is closed" (an InterfaceError) is a dropped connection; so is "another operation
    (2) is in progress" (an InternalClientError): PostgreSQL's shutdown message reached a
    connection between two statements, which asyncpg then refuses to use."""
    if isinstance(error, asyncpg.InterfaceError):
        return "closed" in str(error)
    if isinstance(error, asyncpg.InternalClientError):
        return "another operation (2)" in str(error)
    return True


def unavailable_handler(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    """503 with Retry-After for a dependency that is down; a 500 would call it a bug."""
    if not dropped_connection(error):
        return internal_error_handler(request, error)  # misuse of a connection: a bug
    what = "Redis" if isinstance(error, REDIS_UNAVAILABLE) else "the database"
    log.warning(
        "%s %s: %s unavailable (%s: %s)",
        request.method,
        request.url.path,
        what,
        type(error).__name__,
        error,
    )
    return problem_response(
        503,
        "unavailable",
        "Service unavailable",
        f"{what} cannot be reached right now; retry shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def nesting_error_handler(
    request: Request[Any, Any, Any], error: RecursionError
) -> Response[bytes]:
    """msgspec gives up on JSON nested deeper than the recursion limit: bad input, not a bug."""
    if "deserializ" not in str(error):
        return internal_error_handler(request, error)
    return problem_response(400, "invalid-input", "Invalid input", "the JSON is nested too deeply")


def exception_group_handler(
    request: Request[Any, Any, Any], group: ExceptionGroup[Exception]
) -> Response[bytes]:
    """Litestar raises an ExceptionGroup when a dependency's cleanup fails, e.g. provide_db's
    transaction exit on a connection PostgreSQL just closed: answer as for the first error in it
    (a 503 for that one), not a 500 for the group."""
    first: Exception = group
    while isinstance(first, ExceptionGroup) and first.exceptions:
        first = first.exceptions[0]
    if first is group:
        return internal_error_handler(request, group)
    for cls in type(first).__mro__:
        handler = EXCEPTION_HANDLERS.get(cls)
        if handler is not None and cls is not Exception:
            response: Response[bytes] = handler(request, first)
            return response
    return internal_error_handler(request, first)


def internal_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR, "internal", "Internal error", "This is a bug; it is logged."
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    # Some asyncpg errors mean a connection PostgreSQL dropped, others a bug: dropped_connection.
    asyncpg.InterfaceError: unavailable_handler,
    asyncpg.InternalClientError: unavailable_handler,
    **dict.fromkeys(DATABASE_UNAVAILABLE + REDIS_UNAVAILABLE, unavailable_handler),
    **dict.fromkeys(NETWORK_UNAVAILABLE, unavailable_handler),
    ExceptionGroup: exception_group_handler,
    RecursionError: nesting_error_handler,
    Exception: internal_error_handler,
}


def answered_as_page(handler: ExceptionHandler[Any]) -> ExceptionHandler[Any]:
    """`handler`, whose problem+json becomes an HTML error page for a page request (a path under
    /ui, or a browser outside the JSON API): agora.error_pages decides and renders. Every handler
    goes through it, so pages and the API share one mapping of errors to statuses."""

    def negotiated(request: Request[Any, Any, Any], error: Any) -> Response[Any]:
        response: Response[Any] = handler(request, error)
        if response.media_type != PROBLEM_JSON:
            return response  # already a page (exception_group_handler calls a wrapped handler)
        # Imported here: agora.error_pages renders through agora.web, which imports this module.
        from agora import error_pages

        if not error_pages.wants_page(request):
            return response
        return error_pages.page_for_problem(request, response)

    return negotiated


EXCEPTION_HANDLERS = {cls: answered_as_page(h) for cls, h in EXCEPTION_HANDLERS.items()}

__all__ = ["EXCEPTION_HANDLERS", "MediaType", "PROBLEM_JSON"]
