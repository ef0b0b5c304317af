"""Where the time of one HTML thread page goes: cProfile over the page handler, in process (the
app through httpx's ASGI transport, one pooled connection), grouped by who spends it."""

from __future__ import annotations

import cProfile
import pstats

import httpx

# Group of a profiled function, by the file it lives in (first match wins).
GROUPS = (
    ("waiting on PostgreSQL (event loop idle)", ("select.", "selectors.py", "epoll")),
    ("templates (Jinja)", ("jinja2/", "<template>", "/templates/", "markupsafe/")),
    ("dates and translations (Babel, gettext)", ("babel/", "agora/i18n.py", "gettext.py")),
    ("presenters (rows → views)", ("forum/presenters.py", "forum/rules.py")),
    ("posts' markup (forum.pages.post_html)", ("forum/pages/post_html.py",)),
    ("asyncpg (encode, decode, protocol)", ("asyncpg/",)),
    ("services and queries", ("forum/service/", "forum/queries/", "agora/sessions.py")),
    ("Litestar, ASGI, httpx", ("litestar/", "httpx/", "httpcore/", "anyio/", "msgspec")),
    ("asyncio event loop", ("asyncio/",)),
)


def group_of(filename: str) -> str:
    for name, needles in GROUPS:
        if any(n in filename for n in needles):
            return name
    return "other Python"


async def profile_page(app, url: str, token: str, requests: int = 200) -> list[tuple[str, float]]:
    """(group, ms per request) for `requests` GETs of `url`, largest first, and the total."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(20):  # templates compiled, statements prepared
            assert (await client.get(url, headers=headers)).status_code == 200
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            await client.get(url, headers=headers)
        profiler.disable()
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        tottime = row[2]
        key = group_of(f"{filename}:{function}")
        totals[key] = totals.get(key, 0.0) + tottime
    split = sorted(((k, v * 1000 / requests) for k, v in totals.items()), key=lambda kv: -kv[1])
    return [*split, ("total", sum(v for _, v in split))]
