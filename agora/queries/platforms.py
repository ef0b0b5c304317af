"""What the shell needs of the platform registry (a small global table): the URLs whose origins
may frame Agora's pages."""

from __future__ import annotations

import asyncpg


async def select_platform_page_urls(conn: asyncpg.Connection) -> list[str]:
    """Every registered platform's issuer, OIDC login URL and the other origins it named with
    `agora platform add --origin` (a Canvas school serves its course pages on its own host, not on
    the issuer's): an LMS frames Agora from one of these."""
    rows = await conn.fetch("SELECT issuer, auth_login_url, origins FROM platforms")
    return [url for row in rows for url in (row["issuer"], row["auth_login_url"], *row["origins"])]
