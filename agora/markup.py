"""Markdown → safe HTML, done once at write time; the clean HTML is stored and served as is.

Math (`$…$`, `$$…$$`) keeps its TeX inside spans/divs for KaTeX to render in the browser; code
blocks keep their language class for client-side highlighting. bleach then removes everything not
on the allow-list: scripts, event handlers, javascript: URLs, SVG, inline styles.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from functools import lru_cache

import bleach
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

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


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
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


def render_markdown(text: str) -> str:
    """Render Markdown to HTML that is safe to serve as is."""
    return _cleaner.clean(_parser().render(text))


def clean_text(text: str) -> str:
    """Plain text for titles and names: no markup survives (escaped when rendered)."""
    return bleach.clean(text, tags=set(), strip=True).strip()
