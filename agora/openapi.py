"""The error answers every API route can give, written into the OpenAPI document once.

Handlers declare only their success; the errors come from one place (agora.errors turns domain
errors, validation, overload and outages into application/problem+json), so they are documented
from one place too: each operation lists the statuses below with the Problem schema and its
content type, and a client generated from the document knows what a 4xx looks like.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from agora.errors import PROBLEM_JSON, Problem

# status -> when it happens
EVERY_ROUTE = {
    400: "Invalid input: a parameter or the body is malformed or out of range",
    401: "No valid session (Authorization: Bearer TOKEN)",
    403: "The session's role may not do this",
    404: "No such resource in this course",
    429: "Rate limited; Retry-After says when to try again",
    500: "A bug (logged)",
    503: "A dependency is down or the server is busy; Retry-After says when to retry",
}
WRITES = {
    409: "Conflicts with the resource's current state",
    413: "The request body is too large",
    415: "The body is not application/json",
    422: "Understood but cannot be done (e.g. a text too complex to render)",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=Problem, media_type=PROBLEM_JSON, description=description)


def document_problems(app: Litestar) -> Litestar:
    """Add the problem+json error responses to every route in the schema (a route's own
    `responses=` win). Call before the document is first generated."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            statuses = dict(EVERY_ROUTE)
            if handler.http_methods & WRITE_METHODS:
                statuses |= WRITES
            defaults = {status: _spec(text) for status, text in statuses.items()}
            handler.responses = defaults | dict(handler.responses or {})
    return app
