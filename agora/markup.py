"""Markdown → safe HTML, done once at write time; the clean HTML is stored and served as is.

Math (`$…$`, `$$…$$`) keeps its TeX inside spans/divs for KaTeX to render in the browser; code
blocks keep their language class for client-side highlighting. bleach then removes everything not
on the allow-list: scripts, event handlers, javascript: URLs, SVG, inline styles.

Rendering is pure Python and a crafted body can make it expensive, so two rules hold:
- The work per body is bounded: what explodes (table rows and cells, link brackets, emphasis
  delimiters, nesting, the size of the HTML bleach must parse) is counted, and a body over a
  bound is refused (MarkupTooComplex → 422) before the expensive step. Measured on the worst
  bodies found (tests/agora/test_markup.py): bleach is quadratic in the rows of one table
  (6,000 rows: 18 s), linear elsewhere; within the bounds the worst body takes ~0.3 s.
- It never runs on the event loop: `render_markdown` hands the body to a small process pool
  (and `clean_texts` long plain texts; `clean_text` is for short ones: titles, names, reasons).
  A thread would not do: markdown-it and bleach hold the GIL, and measured with a 1 ms ticker
  the loop then lagged 5 ms on every await (17 ms at worst) while a 0.3 s render ran; with a
  process it lagged under 1 ms.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import multiprocessing
import os
import threading
import time
from collections.abc import MutableMapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from urllib.parse import quote

import bleach
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from agora.errors import Unprocessable

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong",
        "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title"],
    "code": ["class"],
    "span": ["class"],
    "div": ["class"],
    "th": ["align"],
    "td": ["align"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# The bounds (a forum post or a peer-review text needs far less than any of them).
MAX_TABLE_ROWS = 500  # all tables of a body together: bleach is quadratic in a table's rows
MAX_TABLE_CELLS = 5_000
MAX_BRACKETS = 5_000  # "[" : each opens a link label markdown-it scans ahead for
MAX_DELIMITERS = 10_000  # "*", "_", "~": emphasis runs markdown-it pairs up
MAX_NESTING = 20  # blockquotes, lists and inline nesting (markdown-it's own limit)
MAX_HTML_CHARS = 250_000  # what bleach parses
MAX_HTML_MARKUP = 15_000  # its tags and entities ("<", "&"): bleach's cost is ~25 µs each
RENDER_PROCESSES = min(2, os.cpu_count() or 1)
PARENT_CHECK_SECONDS = 1.0  # how soon a render process notices its server is gone
# Remote images are never hot-linked (a reader's browser would tell the image's host who reads
# what, and when): their src becomes Agora's proxy, keyed by the SHA-256 of the URL. The URL
# rides along in `u` only so the writing service can record it (agora.remote_images.remember):
# the proxy fetches what was recorded, never what a request asks for.
REMOTE_IMAGE_PATH = "/media/remote/"


class MarkupTooComplex(ValueError):
    """A body over one of the bounds; the message says which (it reaches the user)."""


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": False, "typographer": False, "maxNesting": MAX_NESTING},
    )
    parser.enable("table").enable("strikethrough")
    # Math keeps its TeX source inside <span class="math inline"> / <div class="math block">;
    # the browser renders it with KaTeX.
    dollarmath_plugin(parser, allow_space=True, double_inline=False)
    return parser


def _set_rel(
    attrs: MutableMapping[tuple[str | None, str], str], new: bool = False
) -> MutableMapping[tuple[str | None, str], str]:
    if (None, "href") in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.sanitizer.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[lambda source: bleach.linkifier.LinkifyFilter(source, callbacks=[_set_rel])],
)


def remote_image_src(url: str) -> str:
    """The proxy path an <img> of this remote URL is served from."""
    digest = hashlib.sha256(url.encode()).hexdigest()
    return f"{REMOTE_IMAGE_PATH}{digest}?u={quote(url, safe='')}"


def _proxy_images(tokens: list[Token]) -> None:
    for token in tokens:
        for child in token.children or ():
            if child.type != "image":
                continue
            src = str(child.attrGet("src") or "")
            if src.startswith("//"):  # protocol-relative: the browser would use https
                src = "https:" + src
            if src.lower().startswith(("http://", "https://")):
                child.attrSet("src", remote_image_src(src))


def _refuse(what: str, count: int, limit: int) -> MarkupTooComplex:
    return MarkupTooComplex(
        f"the text is too complex to render: {count:,} {what} (at most {limit:,})"
    )


def render_markdown_now(text: str) -> str:
    """Render Markdown to HTML that is safe to serve as is, in this thread, within the bounds
    (MarkupTooComplex otherwise). Request handlers await `render_markdown` instead."""
    brackets = text.count("[")
    if brackets > MAX_BRACKETS:
        raise _refuse("link brackets", brackets, MAX_BRACKETS)
    delimiters = text.count("*") + text.count("_") + text.count("~")
    if delimiters > MAX_DELIMITERS:
        raise _refuse("emphasis marks", delimiters, MAX_DELIMITERS)
    parser = _parser()
    tokens = parser.parse(text)
    rows = sum(1 for token in tokens if token.type == "tr_open")
    if rows > MAX_TABLE_ROWS:
        raise _refuse("table rows", rows, MAX_TABLE_ROWS)
    cells = sum(1 for token in tokens if token.type in ("td_open", "th_open"))
    if cells > MAX_TABLE_CELLS:
        raise _refuse("table cells", cells, MAX_TABLE_CELLS)
    _proxy_images(tokens)
    rendered = parser.renderer.render(tokens, parser.options, {})
    if len(rendered) > MAX_HTML_CHARS:
        raise _refuse("characters of HTML", len(rendered), MAX_HTML_CHARS)
    markup = rendered.count("<") + rendered.count("&")
    if markup > MAX_HTML_MARKUP:
        raise _refuse("HTML tags and entities", markup, MAX_HTML_MARKUP)
    return _cleaner.clean(rendered)


def _leave_with_parent(parent: int) -> None:
    """In each render process: exit once the process that started the pool is gone. A server
    killed outright (SIGKILL, out of memory) runs no cleanup, and its renderers would otherwise
    live on, each holding ~90 MB, one pair per restart. Polling the parent id works on every
    POSIX system and whichever thread started the process (prctl's death signal follows the
    thread)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    if os.getppid() != parent:  # the parent died while this process was starting
        os._exit(0)
    threading.Thread(target=watch, name="leave-with-parent", daemon=True).start()


class _Renderer:
    """The process pool, started on first use (spawned: forking a process that runs an event
    loop and threads is unsafe) and started again if a worker died.

    A pool belongs to the process that started it: a process forked after the parent rendered
    (granian forks its HTTP processes after `agora serve --demo` seeded the demo course)
    inherits the pool object without its manager thread, and every render sent to it would wait
    forever. So a pool made by another process id is replaced, never used."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._owner = 0
        self._lock = threading.Lock()

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None or self._owner != os.getpid():
                self._pool = ProcessPoolExecutor(
                    RENDER_PROCESSES,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_leave_with_parent,
                    initargs=(os.getpid(),),
                )
                self._owner = os.getpid()
            return self._pool

    def discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


_renderer = _Renderer()


async def render_markdown(text: str) -> str:
    """Render Markdown to HTML that is safe to serve as is, off the event loop; a body over
    the bounds is a 422 saying which."""
    loop = asyncio.get_running_loop()
    for attempt in (1, 2):
        pool = _renderer.pool()
        try:
            return await loop.run_in_executor(pool, render_markdown_now, text)
        except MarkupTooComplex as error:
            raise Unprocessable(str(error)) from None
        except BrokenProcessPool:
            # A worker was killed (out of memory, a signal): a new pool, once.
            _renderer.discard(pool)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


INLINE_CLEAN_CHARS = 2_000  # bleach takes ~1.5 ms for this much text at worst


async def clean_texts(texts: list[str]) -> list[str]:
    """clean_text of each, off the event loop when they are long (a peer review's criterion
    comments: up to 20 of 20,000 characters, ~0.1 s of bleach each at worst)."""
    if sum(map(len, texts)) <= INLINE_CLEAN_CHARS:
        return [clean_text(text) for text in texts]
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_renderer.pool(), _clean_all, texts)


def _clean_all(texts: list[str]) -> list[str]:
    return [clean_text(text) for text in texts]


def clean_text(text: str) -> str:
    """Plain text for titles and names: tags removed, entities decoded, so the value is the
    text as it reads, escaped exactly once where it is shown (Jinja autoescapes; JSON is not
    HTML). Decoding can reveal a tag written as entities ("&lt;b&gt;"), so it repeats until
    nothing changes: no markup survives either way."""
    for _ in range(4):
        if "<" not in text and "&" not in text:
            break  # nothing bleach would change (the common case, and the cheap one)
        cleaned = html.unescape(bleach.clean(text, tags=set(), strip=True))
        if cleaned == text:
            break
        text = cleaned
    else:  # entities nested deeper still: keep them encoded rather than decode a tag
        text = bleach.clean(text, tags=set(), strip=True)
    return text.strip()
