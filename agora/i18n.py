"""Languages of the pages: gettext catalogues (Babel) and dates in the reader's locale.

The launch's `launch_presentation.locale` (kept on the session) wins when we have a catalogue for
it; otherwise the course language. Catalogues live in agora/locale/<lang>/LC_MESSAGES/messages.mo
(compiled and committed; `pybabel compile -d agora/locale` after editing the .po files).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import (
    TIMEDELTA_UNITS,
    DateTimePattern,
    format_date,
    format_datetime,
    format_timedelta,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("en", "fr")
DEFAULT = "en"


def choose_locale(session_locale: str | None, course_language: str | None = None) -> str:
    """'fr-CA', 'fr_FR', 'FR' → 'fr'; an unsupported or empty locale falls back to the course's."""
    for candidate in (session_locale, course_language):
        language = (candidate or "").replace("_", "-").split("-")[0].strip().lower()
        if language in SUPPORTED:
            return language
    return DEFAULT


def from_accept_language(header: str | None) -> str | None:
    """The supported language a browser's Accept-Language prefers most, or None.

    'en-US,en;q=0.8,fr;q=0.9' → 'fr' (q-values decide, then the order the browser gave)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        language = tag.replace("_", "-").split("-")[0].strip().lower()
        if language in SUPPORTED and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


@lru_cache(maxsize=len(SUPPORTED))
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Formatted dates per locale: a page shows the same posts' dates to every reader, so each is
# formatted by Babel once (bounded; a date's text never changes).
DATE_CACHE = 8192


def _ago_key(seconds: float) -> tuple[bool, str, int]:
    """What format_timedelta(threshold=1.0) says depends only on this: direction, unit, count
    (its own choice of unit, made the same way), so equal keys read the same."""
    for unit, per_unit in TIMEDELTA_UNITS:
        value = abs(seconds) / per_unit
        if value >= 1.0 or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            return seconds >= 0, unit, int(round(value))
    raise AssertionError("unreachable: 'second' is the last unit")


# The fields of the supported languages' time patterns ("h:mm:ss a", "HH:mm:ss"), formatted as
# Babel formats them (a: the locale's AM/PM, from Babel); a pattern with any other field is
# left to Babel.
_TIME_FIELDS: dict[str, Callable[[datetime, tuple[str, str]], str]] = {
    "h": lambda v, _: str(v.hour % 12 or 12),
    "hh": lambda v, _: f"{v.hour % 12 or 12:02d}",
    "H": lambda v, _: str(v.hour),
    "HH": lambda v, _: f"{v.hour:02d}",
    "mm": lambda v, _: f"{v.minute:02d}",
    "ss": lambda v, _: f"{v.second:02d}",
    "a": lambda v, periods: periods[v.hour >= 12],
}


def _time_formatter(pattern: DateTimePattern, locale: Locale) -> Callable[[datetime], str]:
    template = str(pattern.format)  # "%(h)s:%(mm)s:%(ss)s %(a)s" (Babel types it wrongly)
    names = re.findall(r"%\((\w+)\)s", template)
    if not set(names) <= _TIME_FIELDS.keys():
        return lambda value: str(pattern.apply(value, locale))
    am, pm = (str(parse_pattern("a").apply(datetime(2000, 1, 1, h), locale)) for h in (1, 13))
    fields = [(name, _TIME_FIELDS[name]) for name in names]
    return lambda value: template % {n: f(value, (am, pm)) for n, f in fields}


def date_formatters(locale: str) -> dict[str, Callable[..., str]]:
    """Jinja filters formatting dates for one locale (UTC: LTI gives no reliable time zone)."""
    babel_locale = Locale.parse(locale)

    # Babel's format_datetime costs ~30 us (it looks the locale's patterns up each time); a
    # page of 50 posts not seen lately paid that per post. Its "short" and "medium" formats are
    # a date pattern and a time pattern joined: compiled once here, the date part kept per day,
    # the time's fields formatted directly, ~2 us (tests/agora/test_web.py checks the text
    # against format_datetime's).
    compiled = {
        name: (
            str(get_datetime_format(name, locale=babel_locale)).replace("'", ""),
            get_date_format(name, locale=babel_locale),
            _time_formatter(get_time_format(name, locale=babel_locale), babel_locale),
        )
        for name in ("short", "medium")
    }
    days: dict[tuple[date, str], str] = {}

    @lru_cache(maxsize=DATE_CACHE)
    def formatted_datetime(value: datetime, format: str) -> str:
        if format not in compiled:
            return format_datetime(value, format=format, tzinfo=UTC, locale=babel_locale)
        joined, date_pattern, time_of = compiled[format]
        value = value.astimezone(UTC)
        day = days.get((value.date(), format))
        if day is None:
            day = date_pattern.apply(value, babel_locale)
            if len(days) < DATE_CACHE:
                days[value.date(), format] = day
        return joined.replace("{0}", time_of(value)).replace("{1}", day)

    def datetime_filter(value: datetime | None, format: str = "medium") -> str:
        return "" if value is None else formatted_datetime(_aware(value), format)

    @lru_cache(maxsize=DATE_CACHE)
    def formatted_date(value: date, format: str) -> str:
        return format_date(value, format=format, locale=babel_locale)

    def date_filter(value: date | None, format: str = "medium") -> str:
        return "" if value is None else formatted_date(value, format)

    ago_texts: dict[tuple[bool, str, int], str] = {}

    def ago_filter(value: datetime | None) -> str:
        if value is None:
            return ""
        delta = _aware(value) - datetime.now(UTC)
        key = _ago_key(delta.total_seconds())
        text = ago_texts.get(key)
        if text is None:
            text = format_timedelta(delta, add_direction=True, threshold=1.0, locale=babel_locale)
            if len(ago_texts) < DATE_CACHE:
                ago_texts[key] = text
        return text

    return {"datetime": datetime_filter, "date": date_filter, "ago": ago_filter}


def translate_known(locale: str, text: str) -> str:
    """`text` in `locale` when the catalogue has it (an error's detail, a launch's refusal),
    else `text` unchanged: details are written in English and only the common ones translated."""
    return translations(locale).gettext(text) if text else text
