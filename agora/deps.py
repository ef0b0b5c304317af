"""Type aliases for the app-level dependencies, so handlers declare them explicitly.

    async def list_boards(course: int, db: Db, principal: CurrentPrincipal) -> BoardList: ...

The parameter name picks the dependency (db, principal, redis, settings, store), as Litestar's
NamedDependency requires.
"""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from arq.connections import ArqRedis
from litestar.di import NamedDependency

from agora.sessions import Principal
from agora.settings import Settings
from agora.storage import Store

Db: TypeAlias = NamedDependency[asyncpg.Connection]
CurrentPrincipal: TypeAlias = NamedDependency[Principal]
Redis: TypeAlias = NamedDependency[ArqRedis]
AppSettings: TypeAlias = NamedDependency[Settings]
Files: TypeAlias = NamedDependency[Store]  # the object store (parameter name: store)
