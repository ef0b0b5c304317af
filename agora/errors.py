"""Domain exceptions and the one place that turns errors into application/problem+json."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

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


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class Unavailable(DomainError):
    status, slug, title = 503, "unavailable", "Service unavailable"


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


def internal_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR, "internal", "Internal error", "This is a bug; it is logged."
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "MediaType", "PROBLEM_JSON"]
