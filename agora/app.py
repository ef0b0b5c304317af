"""The app factory: the one place that assembles the contexts into one Litestar app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
from arq.connections import ArqRedis
from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig

from agora import health, remote_images, storage, web
from agora.contexts import collect
from agora.db import Database, create_pool
from agora.errors import EXCEPTION_HANDLERS
from agora.headers import SecurityHeaders
from agora.openapi import document_problems
from agora.params import RejectNulBytes
from agora.redis import create_redis
from agora.sessions import authenticate, provide_principal, wants_principal
from agora.settings import Settings
from agora.shedding import load_shedding

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_db(request: Request[Any, Any, Any]) -> AsyncIterator[asyncpg.Connection]:
    """A connection for the request; writes run in one transaction, committed before replying.

    When the handler takes a `principal`, the session is authenticated here, before the yield
    (see agora.sessions.provide_principal for why)."""
    async with request.app.state.database.acquire() as connection:
        if request.method in READ_METHODS:
            if wants_principal(request):
                await authenticate(connection, request)
            yield connection
        else:
            async with connection.transaction():
                if wants_principal(request):
                    await authenticate(connection, request)
                yield connection


def provide_redis(request: Request[Any, Any, Any]) -> ArqRedis:
    redis: ArqRedis = request.app.state.redis
    return redis


def provide_settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def provide_store(request: Request[Any, Any, Any]) -> storage.Store:
    state = request.app.state
    if state.store is None:  # opened on first use: most requests touch no file
        state.store = storage.open_store(state.settings)
    store: storage.Store = state.store
    return store


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    redis: ArqRedis | None = None,
    store: storage.Store | None = None,
    first_lifespan: Sequence[Callable[[Litestar], AbstractAsyncContextManager[None]]] = (),
) -> Litestar:
    """Build the app. Tests hand in their own Database (one connection), Redis client and,
    when they test files, object store (else the one the settings name, opened on first use).
    `first_lifespan` is entered before the app's own start-up (the pool, Redis): a server
    process uses it to see a stop signal that arrives while the app is still starting."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        """Creates the pool and Redis client unless they were handed in (tests)."""
        if database is None:
            app.state.database = Database(
                pool=await create_pool(
                    settings.database_url,
                    min_size=settings.db_pool_min,
                    max_size=settings.db_pool_max,
                ),
                dsn=settings.database_url,
                acquire_timeout=settings.queue_timeout,
            )
        if redis is None:
            app.state.redis = create_redis(settings.redis_url)
        try:
            yield
        finally:
            if redis is None:
                await app.state.redis.aclose()
            if database is None:
                await app.state.database.close()

    state = State({"settings": settings, "store": store})
    if database is not None:
        state.database = database
    if redis is not None:
        state.redis = redis

    route_handlers = [
        *health.ROUTES,
        *collect("http", "ROUTES"),
        *web.ROUTES,
        *remote_images.ROUTES,
        *collect("pages", "ROUTES"),
    ]

    prometheus = PrometheusConfig(
        app_name="agora", prefix="agora", group_path=True, exclude=["/metrics", "/static"]
    )
    app = Litestar(
        route_handlers=route_handlers,
        lifespan=[*first_lifespan, lifespan],
        state=state,
        dependencies={
            "db": Provide(provide_db),
            "principal": Provide(provide_principal),
            "redis": Provide(provide_redis, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "store": Provide(provide_store, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[prometheus.middleware, load_shedding(settings), RejectNulBytes()],
        # CSP, nosniff, Referrer-Policy, no-store on the API: on every answer, errors included.
        before_send=[SecurityHeaders(settings)],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Agora",
            version="1",
            description="Course forums and calibrated peer review, embedded through LTI 1.3.",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        debug=False,
    )
    return document_problems(app)
