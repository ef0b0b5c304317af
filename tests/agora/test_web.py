"""The shared page layer: static files, locale choice, launch page, preview, HTML errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agora import i18n, web
from agora.sessions import Principal, create_session


async def test_static_files_are_served_with_a_long_cache(client):
    response = await client.get(web.static_url("agora.js"))
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert "max-age=31536000" in response.headers["cache-control"]
    assert "Authorization" in response.text


async def test_vendored_assets_are_reachable(client):
    for path in (
        "vendor/htmx/htmx.min.js",
        "vendor/htmx/sse.min.js",
        "vendor/katex/katex.min.js",
        "vendor/katex/auto-render.min.js",
        "vendor/katex/fonts/KaTeX_Main-Regular.woff2",
        "vendor/highlight/highlight.min.js",
    ):
        response = await client.get(f"/static/{path}")
        assert response.status_code == 200, path


def test_static_url_changes_with_the_file_content():
    url = web.static_url("agora.css")
    assert url.startswith("/static/agora.css?v=") and len(url.split("=")[1]) == 10


def test_locale_follows_the_launch_then_the_course():
    assert i18n.choose_locale("fr-CA", "en") == "fr"
    assert i18n.choose_locale("fr_FR") == "fr"
    assert i18n.choose_locale("de-DE", "fr") == "fr"
    assert i18n.choose_locale("", "en") == "en"
    assert i18n.choose_locale(None, None) == "en"


def test_dates_are_formatted_in_the_readers_locale():
    moment = datetime(2025, 3, 14, 15, 9, tzinfo=UTC)
    assert "mars" in i18n.date_formatters("fr")["datetime"](moment)
    assert "Mar" in i18n.date_formatters("en")["datetime"](moment)
    assert "ago" in i18n.date_formatters("en")["ago"](datetime(2000, 1, 1, tzinfo=UTC))
    assert "il y a" in i18n.date_formatters("fr")["ago"](datetime(2000, 1, 1, tzinfo=UTC))


def test_relative_dates_read_as_babel_says_though_each_text_is_formatted_once():
    from babel.dates import format_timedelta

    # Each count at each unit's edges, both ways, twice (the second time from the cache).
    edges = [s * m for m in (1, 60, 3600, 86400, 604800, 2592000, 31536000) for s in range(60)]
    for locale in ("en", "fr"):
        ago = i18n.date_formatters(locale)["ago"]
        for _ in range(2):
            for seconds in edges + [e + 0.5 for e in edges] + [e + 29 for e in edges]:
                for sign in (1, -1):
                    now = datetime.now(UTC)
                    moment = now + timedelta(seconds=sign * seconds)
                    said = ago(moment)
                    # The filter reads the clock a moment after `now`: the text of either.
                    expected = {
                        format_timedelta(
                            moment - when, add_direction=True, threshold=1.0, locale=locale
                        )
                        for when in (now, datetime.now(UTC))
                    }
                    assert said in expected, (locale, sign * seconds)


def test_dates_read_as_babels_format_datetime_though_formatted_from_compiled_patterns():
    import random

    from babel.dates import format_datetime

    rng = random.Random(7)
    start = datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(0, 40 * 365 * 86400)) for _ in range(500)]
    edges = [(h, m) for h in (0, 11, 12, 13, 23) for m in (0, 59)]  # midnight, noon, AM/PM
    moments += [datetime(2026, 1, 1, h, m, tzinfo=UTC) for h, m in edges]
    moments.append(datetime(2026, 3, 1, 12, 30))  # naive: read as UTC
    for locale in i18n.SUPPORTED:
        formatted = i18n.date_formatters(locale)["datetime"]
        for moment in moments:
            for fmt in ("short", "medium", "long"):
                expected = format_datetime(moment, format=fmt, tzinfo=UTC, locale=locale)
                assert formatted(moment, fmt) == expected, (locale, fmt, moment)
                assert formatted(moment, fmt) == expected  # the second time, from the cache


async def test_launch_page_carries_the_session_and_course(conn, course):
    principal = Principal(
        user_id=course.alice.user_id, course_id=course.id, role="learner", name="Alice"
    )
    response = await web.launch_response(conn, principal, "tok-123")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.content
    assert '<meta name="agora-session" content="tok-123">' in body
    assert f'<meta name="agora-course" content="{course.id}">' in body
    assert 'hx-boost="true"' in body
    assert "Skip to main content" in body


async def test_launch_page_speaks_french_for_a_french_launch(conn, course):
    principal = Principal(
        user_id=course.alice.user_id, course_id=course.id, role="learner", name="Alice", locale="fr"
    )
    body = (await web.launch_response(conn, principal, "tok")).content
    assert '<html lang="fr">' in body
    assert "Aller au contenu principal" in body
    assert "Forum" in body and "Évaluation par les pairs" in body


async def test_staff_see_moderation_in_the_navigation_and_learners_do_not(conn, course):
    def principal(member):
        return Principal(
            user_id=member.user_id, course_id=course.id, role=member.role, name=member.name
        )

    staff = (await web.launch_response(conn, principal(course.ta), "t")).content
    learner = (await web.launch_response(conn, principal(course.alice), "t")).content
    assert "/moderation" in staff
    assert "/moderation" not in learner


async def test_markdown_preview_is_cleaned_like_stored_posts(client, course):
    response = await client.post(
        "/ui/preview",
        data={"body": "**hi** <script>alert(1)</script> $x^2$"},
        headers=course.alice.headers,
    )
    assert response.status_code == 200
    assert "<strong>hi</strong>" in response.text
    assert "<script" not in response.text
    assert 'class="math inline"' in response.text


async def test_pages_without_a_session_answer_an_html_error(client):
    response = await client.post("/ui/preview", data={"body": "x"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "Your session has ended" in response.text


async def test_french_session_gets_french_error_pages_from_accept_language(client):
    response = await client.post(
        "/ui/preview", data={"body": "x"}, headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    )
    assert "Votre session a pris fin" in response.text


async def test_expired_launch_session_cannot_use_pages(client, conn, course):
    token = await create_session(
        conn, user_id=course.alice.user_id, course_id=course.id, role="learner", ttl_seconds=1
    )
    await conn.execute("UPDATE sessions SET expires_at = now() - interval '1 minute'")
    response = await client.post(
        "/ui/preview", data={"body": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


async def test_a_bug_on_a_page_is_an_html_500_not_json(app, client, course):
    from litestar import get

    from agora.web import page_router

    @get("/boom")
    async def boom() -> str:
        raise RuntimeError("bug")

    app.register(page_router(boom))
    response = await client.get("/ui/boom", headers=course.alice.headers)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in response.text
