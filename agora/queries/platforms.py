"""What the shell needs of the platform registry (a small global table): the URLs whose origins
may frame Agora's pages."""

from __future__ import annotations

import asyncpg


async def select_platform_page_urls(conn: asyncpg.Connection) -> list[str]:
    """Every registered platform's issuer and OIDC login URL (an LMS serves its pages there)."""
    rows = await conn.fetch("SELECT issuer, auth_login_url FROM platforms")
    return [url for row in rows for url in (row["issuer"], row["auth_login_url"])]
