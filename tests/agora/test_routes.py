"""The whole route table, walked: bad ids, cursors, page sizes and text are a 4xx, never a 500.

Every route of the app (as create_app builds it) that takes an int path parameter gets ids
outside 1..2^63-1; every route with a `cursor` query parameter gets malformed cursors (wrong
types, NUL text, huge numbers, infinities); every route with `limit` gets page sizes it must
refuse; every text query parameter gets a NUL character. The caller is a member of the (demo-seeded)
course, with real ids in the other parameters, so each request gets past the course guard and
the lookups to the parameter under test. Every answer must be a 4xx: application/problem+json
outside /ui, an HTML error page under /ui.

A second test reads the same table statically: every int id a handler or one of its
dependencies declares (path or query) carries the bounds of agora.params (PathId, QueryId), so
write routes are covered too, where a request without a valid body stops at the body.
"""

from __future__ import annotations

import asyncio
import base64
import json
import types
import typing
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from agora.app import create_app
from agora.demo import seed_demo
from agora.errors import PROBLEM_JSON
from agora.pagination import MAX_CURSOR_LENGTH
from agora.schemas import MAX_ID
from agora.sessions import create_session
from agora.settings import load_settings

BAD_IDS = (0, -1, 2**63, 99999999999999999999)
BAD_LIMITS = (0, -1, 10**9, "abc", 99999999999999999999)
# Integer query parameters that are not ids (so 0 may be a fine value): name -> why.
NOT_IDS = {
    "limit": "a page size, walked with BAD_LIMITS",
    "index": "the row number of a new rubric criterion on the assignment form",
}
# Parameters the walk fills in, and never needs to: the framework's own and the dependencies'.
RESERVED = frozenset({"request", "socket", "state", "headers", "cookies", "query", "scope", "data"})
# Long-lived responses: a valid request would never end. They are still walked (their ids are
# checked before the stream opens; none takes a cursor or limit) under REQUEST_TIMEOUT, so a
# regression shows as a failure naming the route rather than a hung suite.
STREAMING = {
    "/api/v1/courses/{course_id:int}/events": "server-sent events until the client leaves",
}
REQUEST_TIMEOUT = 20.0


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64_json(value: Any) -> str:
    return _b64(json.dumps(value).encode())


def _bad_cursors() -> list[tuple[str, str]]:
    """(what, cursor): none of them can decode to a key of any arity or of any types."""
    cursors = [
        ("not base64", "%%% not base64 ~~~"),
        ("base64 of non-JSON", _b64(b"this is not json")),
        ("base64 of invalid UTF-8", _b64(b"\xff\xfe\xfd\x00")),
        ("JSON object", _b64_json({"id": 1})),
        ("JSON scalar", _b64_json(5)),
        ("JSON null", _b64_json(None)),
        ("empty key", _b64_json([])),
        ("too many values", _b64_json(list(range(9)))),
        ("over the length limit", "A" * (MAX_CURSOR_LENGTH + 1)),
        ("very long", "A" * 10_000),
    ]
    # Wrong types at every arity a key can have: objects, nulls and lists are never a key value.
    for arity in (1, 2, 3, 4):
        cursors.append((f"{arity} objects", _b64_json([{"a": 1}] * arity)))
        cursors.append((f"{arity} nulls", _b64_json([None] * arity)))
        cursors.append((f"{arity} lists", _b64_json([[1]] * arity)))
        # Values of a plausible type that no key can hold: PostgreSQL would refuse them (NUL in
        # text, integers beyond bigint) or they are no number at all (infinities).
        cursors.append((f"{arity} NUL strings", _b64_json(["\x00"] * arity)))
        cursors.append((f"{arity} huge numbers", _b64_json([10**30] * arity)))
        cursors.append((f"{arity} huge negatives", _b64_json([-(10**30)] * arity)))
        cursors.append((f"{arity} infinities", _b64(b"[" + b",".join([b"1e999"] * arity) + b"]")))
        cursors.append((f"{arity} Infinity", _b64(b"[" + b",".join([b"Infinity"] * arity) + b"]")))
        cursors.append((f"{arity} NaN", _b64(b"[" + b",".join([b"NaN"] * arity) + b"]")))
    return cursors


BAD_CURSORS = _bad_cursors()


# ---- the route table --------------------------------------------------------------------------


def _table_app() -> Litestar:
    """The app as tests/conftest.py builds it; its route table does not depend on the servers."""
    settings = load_settings(
        environ={},
        database_url="postgresql://unused@127.0.0.1/unused",
        redis_url="redis://127.0.0.1:6379/0",
        public_url="http://testserver.local",
    )
    return create_app(settings, database=object(), redis=object())  # type: ignore[arg-type]


def _is_int(field: FieldDefinition) -> bool:
    args = typing.get_args(field.annotation) if _is_union(field.annotation) else ()
    options = args or (field.annotation,)
    return int in options and bool not in options


def _is_str(field: FieldDefinition) -> bool:
    args = typing.get_args(field.annotation) if _is_union(field.annotation) else ()
    return str in (args or (field.annotation,))


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _query_name(name: str, field: FieldDefinition) -> str:
    alias = getattr(field.kwarg_definition, "query", None)
    return alias or name


@dataclass(frozen=True)
class RouteCase:
    order: int  # the route's place in the app's table
    method: str
    path: str  # Litestar's template, e.g. /api/v1/threads/{thread_id:int}
    path_params: dict[str, type]  # name -> int, str, ...
    queries: tuple[str, ...]  # every query parameter
    id_queries: tuple[str, ...]  # int id query parameters
    text_queries: tuple[str, ...]  # str query parameters (a NUL in any of them is a 400)
    cursor: bool
    limit: bool
    # path/query name -> its declarations (handler and dependencies), for the static bounds test
    declarations: dict[str, tuple[FieldDefinition, ...]]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def int_path_params(self) -> list[str]:
        return [name for name, type_ in self.path_params.items() if type_ is int]

    @property
    def walked(self) -> bool:
        return bool(
            self.int_path_params or self.id_queries or self.text_queries or self.cursor
            or self.limit
        )  # fmt: skip


def _signatures(handler: Any) -> list[dict[str, FieldDefinition]]:
    """The handler's parameters and those of each dependency it resolves (where path and query
    parameters may also be declared)."""
    signatures = [dict(handler.parsed_fn_signature.parameters)]
    for provider in handler.resolve_dependencies().values():
        parsed = getattr(provider, "parsed_fn_signature", None)
        if parsed is not None:
            signatures.append(dict(parsed.parameters))
    return signatures


def _route_cases() -> list[RouteCase]:
    app = _table_app()
    cases = []
    for index, route in enumerate(app.routes):
        if not isinstance(route, HTTPRoute):
            continue
        path_params = {name: p.type for name, p in route.path_parameters.items()}
        for handler in route.route_handlers:
            dependencies = set(handler.resolve_dependencies())
            signatures = _signatures(handler)
            declarations: dict[str, list[FieldDefinition]] = {}
            queries: dict[str, FieldDefinition] = {}
            for signature in signatures:
                for name, field in signature.items():
                    if name in dependencies or name in RESERVED:
                        continue
                    wire_name = name if name in path_params else _query_name(name, field)
                    declarations.setdefault(wire_name, []).append(field)
                    if name not in path_params:
                        queries.setdefault(wire_name, field)
            id_queries = tuple(
                name
                for name, field in queries.items()
                if name not in NOT_IDS and name not in ("cursor",) and _is_int(field)
            )
            text_queries = tuple(
                name for name, field in queries.items() if name != "cursor" and _is_str(field)
            )
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                cases.append(
                    RouteCase(
                        order=index,
                        method=method,
                        path=route.path,
                        path_params=path_params,
                        queries=tuple(queries),
                        id_queries=id_queries,
                        text_queries=text_queries,
                        cursor="cursor" in queries,
                        limit="limit" in queries,
                        declarations={k: tuple(v) for k, v in declarations.items()},
                    )
                )
    # The table's order, not its handlers' (a set): every pytest-xdist worker must collect the
    # same tests in the same order.
    return sorted(cases, key=lambda case: (case.order, case.method))


CASES = _route_cases()
WALKED = [case for case in CASES if case.walked]


# ---- a course with content and a member's session ---------------------------------------------


@dataclass
class Walk:
    course_id: int
    headers: dict[str, str]
    valid: dict[str, Any]  # path parameter name -> a real value in the course

    def fill(self, case: RouteCase, **bad: Any) -> str:
        path = case.path
        for name, type_ in case.path_params.items():
            value = bad[name] if name in bad else self.valid.get(name, 1 if type_ is int else "x")
            path = path.replace(f"{{{name}:{_converter(case.path, name)}}}", str(value))
        return path


# Query parameters without which a route answers without reading the others (a search page
# with no words ignores its cursor): a value that finds something in the demo course.
VALID_QUERIES = {"q": "climate", "title": "climate feedback"}


def _converter(path: str, name: str) -> str:
    start = path.index(f"{{{name}:") + len(name) + 2
    return path[start : path.index("}", start)]


# Real ids in the demo course, by the parameter names routes use for them. Posts and threads,
# submissions and assignments are picked together so nested paths name a real pair.
VALID_ID_SQL = {
    "post_id": "SELECT min(id) FROM forum_posts WHERE course_id = $1",
    "thread_id": """SELECT thread_id FROM forum_posts
                     WHERE course_id = $1 ORDER BY id LIMIT 1""",
    "board_id": """SELECT t.board_id FROM forum_posts p
                     JOIN forum_threads t ON t.course_id = p.course_id AND t.id = p.thread_id
                    WHERE p.course_id = $1 ORDER BY p.id LIMIT 1""",
    "submission_id": "SELECT min(id) FROM pr_submissions WHERE course_id = $1",
    "assignment_id": """SELECT assignment_id FROM pr_submissions
                         WHERE course_id = $1 ORDER BY id LIMIT 1""",
    "review_id": "SELECT min(id) FROM pr_reviews WHERE course_id = $1",
    "allocation_id": "SELECT min(id) FROM pr_allocations WHERE course_id = $1",
    "user_id": """SELECT min(user_id) FROM memberships
                   WHERE course_id = $1 AND role = 'learner'""",
}


@pytest.fixture
async def walk(conn, settings) -> Walk:
    """The demo course, and a session of its instructor (staff reach the most handlers)."""
    demo = await seed_demo(conn, settings)
    course_id = demo["course_id"]
    instructor = demo["people"]["dev-instructor"]
    token = await create_session(
        conn, user_id=instructor, course_id=course_id, role="instructor", ttl_seconds=3600
    )
    valid: dict[str, Any] = {"course_id": course_id, "course": course_id, "kind": "mute"}
    for name, sql in VALID_ID_SQL.items():
        value = await conn.fetchval(sql, course_id)
        if value is not None:
            valid[name] = value
    return Walk(course_id, {"Authorization": f"Bearer {token}"}, valid)


# ---- the walk ---------------------------------------------------------------------------------


def _problem(what: str, response: httpx.Response | None, error: str = "") -> str:
    if response is None:
        return f"{what}: {error}"
    content_type = response.headers.get("content-type", "")
    body = "" if content_type.startswith("text/html") else f" {response.text[:160]!r}"
    return f"{what}: {response.status_code} {content_type}{body}"


def _acceptable(case: RouteCase, response: httpx.Response) -> bool:
    if not 400 <= response.status_code < 500:
        return False
    content_type = response.headers.get("content-type", "")
    if case.path.startswith("/ui/"):
        return content_type.startswith("text/html")
    return content_type == PROBLEM_JSON


async def _send(
    client: httpx.AsyncClient, case: RouteCase, walk: Walk, path: str, params: dict[str, Any]
) -> httpx.Response:
    request = client.request(case.method, path, params=params, headers=walk.headers)
    return await asyncio.wait_for(request, REQUEST_TIMEOUT)


def _inputs(case: RouteCase, walk: Walk) -> list[tuple[str, str, dict[str, Any]]]:
    """(what, path, query) for every bad input this route takes, one bad value at a time."""
    valid = {name: value for name, value in VALID_QUERIES.items() if name in case.queries}
    inputs = []
    for name in case.int_path_params:
        for value in BAD_IDS:
            inputs.append((f"path {name}={value}", walk.fill(case, **{name: value}), valid))
    path = walk.fill(case)
    for name in case.id_queries:
        for value in BAD_IDS:
            inputs.append((f"query {name}={value}", path, valid | {name: value}))
    if case.cursor:
        for what, cursor in BAD_CURSORS:
            inputs.append((f"cursor {what}", path, valid | {"cursor": cursor}))
    if case.limit:
        for value in BAD_LIMITS:
            inputs.append((f"limit={value}", path, valid | {"limit": value}))
    for name in case.text_queries:
        inputs.append((f"query {name} with a NUL", path, valid | {name: "a\x00b"}))
    return inputs


@pytest.mark.parametrize("case", WALKED, ids=[case.id for case in WALKED])
async def test_bad_ids_cursors_and_limits_are_a_4xx(client, app, walk, case: RouteCase):
    assert any(route.path == case.path for route in app.routes), "route table changed"
    failures = []
    for what, path, params in _inputs(case, walk):
        try:
            response = await _send(client, case, walk, path, params)
        except TimeoutError:
            failures.append(_problem(what, None, f"no answer in {REQUEST_TIMEOUT:.0f} s"))
            continue
        if not _acceptable(case, response):
            failures.append(_problem(what, response))
    expected = "an HTML error page" if case.path.startswith("/ui/") else PROBLEM_JSON
    assert not failures, f"{case.id} must answer a 4xx {expected} to:\n  " + "\n  ".join(failures)


def test_the_walk_covers_the_routes_that_take_ids_cursors_and_limits():
    """A guard on the walk itself: if the table reading broke, it would silently walk nothing."""
    paths = {case.path for case in WALKED}
    assert "/api/v1/threads/{thread_id:int}/posts" in paths
    assert any(case.cursor for case in WALKED)
    assert any(case.limit for case in WALKED)
    assert any(case.id_queries for case in WALKED)
    assert any("q" in case.text_queries for case in WALKED)
    assert any(case.path.startswith("/ui/") for case in WALKED)
    assert all(path in {case.path for case in CASES} for path in STREAMING)


# ---- the same table, read statically ----------------------------------------------------------


def _bounded(field: FieldDefinition) -> bool:
    kwarg = field.kwarg_definition
    ge = getattr(kwarg, "ge", None)
    gt = getattr(kwarg, "gt", None)
    le = getattr(kwarg, "le", None)
    lt = getattr(kwarg, "lt", None)
    low = ge if ge is not None else (gt + 1 if gt is not None else None)
    high = le if le is not None else (lt - 1 if lt is not None else None)
    return low is not None and high is not None and low >= 1 and high <= MAX_ID


ID_CASES = [case for case in CASES if case.int_path_params or case.id_queries]


@pytest.mark.parametrize("case", ID_CASES, ids=[case.id for case in ID_CASES])
def test_every_declared_id_is_bounded(case: RouteCase):
    """Each int id the handler or a dependency declares is a PathId / QueryId (1..2^63-1)."""
    unbounded = [
        name
        for name in (*case.int_path_params, *case.id_queries)
        for field in case.declarations.get(name, ())
        if _is_int(field) and not _bounded(field)
    ]
    assert not unbounded, f"{case.id}: declare {unbounded} as agora.params.PathId / QueryId"
