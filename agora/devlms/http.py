"""The dev LMS's router under /dev/lms (collected by agora.app through agora.contexts).

Every route answers 404 unless settings.dev is true: the guard runs before any handler, so a
production app has these routes in its table but nothing a request can reach.
"""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import ControllerRouterHandler

from agora.devlms import launch, services
from agora.errors import NotFound


def dev_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not connection.app.state.settings.dev:
        raise NotFound("no such page")


router = Router(
    path="/dev/lms",
    route_handlers=[
        launch.home,
        launch.start,
        launch.authorize,
        launch.jwks,
        launch.deep_link_return,
        services.token,
        services.list_lineitems,
        services.create_lineitem,
        services.post_score,
        services.results,
        services.memberships,
        services.groups,
        services.group_sets,
    ],
    guards=[dev_only],
    include_in_schema=False,
)
ROUTES: list[ControllerRouterHandler] = [router]
