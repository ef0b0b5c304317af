"""Errors a person meets in the LMS iframe are pages in their language with a way back, never raw
JSON: unknown /ui addresses, 404s and 403s inside the app, banned and muted learners, refused LTI
launches. The JSON API keeps answering application/problem+json."""

from __future__ import annotations

import base64
import json

from agora.sessions import create_session

HTMX_FRAGMENT = {"HX-Request": "true", "HX-Target": "flash"}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def french_session(conn, course, member) -> dict[str, str]:
    """The member launched again, from an LMS that asked for French."""
    token = await create_session(
        conn,
        user_id=member.user_id,
        course_id=course.id,
        role=member.role,
        ttl_seconds=3600,
        locale="fr",
    )
    return {"Authorization": f"Bearer {token}"}


def assert_page(response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert "<html" in response.text


async def test_an_unknown_ui_address_is_a_404_page_in_the_sessions_language(client, conn, course):
    headers = await french_session(conn, course, course.alice)
    response = await client.get(
        f"/ui/courses/{course.id}/no/such/page", headers=headers | {"Accept-Language": "en"}
    )
    assert_page(response, 404)
    assert '<html lang="fr">' in response.text
    assert "Introuvable" in response.text or "introuvable" in response.text
    assert "cette page n’existe pas" in response.text
    # The way back: the course's forum and peer review, with the session for htmx navigation.
    assert f'href="/ui/courses/{course.id}/forum"' in response.text
    assert f'href="/ui/courses/{course.id}/assignments"' in response.text
    assert "Retour au cours" in response.text
    assert 'name="agora-session"' in response.text


async def test_an_unknown_ui_address_without_a_session_is_html_not_json(client, course):
    response = await client.get("/ui/nothing-here", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert_page(response, 404)
    assert '<html lang="fr">' in response.text
    unknown_course_page = await client.get(f"/ui/courses/{course.id}/nothing")
    assert_page(unknown_course_page, 401)  # the session ended: say so, not "not found"
    assert "Your session has ended" in unknown_course_page.text


async def test_a_missing_thread_speaks_the_sessions_language_not_the_browsers(client, conn, course):
    headers = await french_session(conn, course, course.bob)
    response = await client.get(
        f"/ui/courses/{course.id}/forum/threads/987654321",
        headers=headers | {"Accept-Language": "en-US,en;q=0.9"},
    )
    assert_page(response, 404)
    assert "cette discussion n’existe pas" in response.text
    assert f'href="/ui/courses/{course.id}/forum"' in response.text


async def test_a_banned_learner_gets_a_page_saying_so_with_the_way_to_peer_review(
    client, conn, course
):
    banned = await client.put(
        f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions",
        json={"kind": "ban", "reason": "harassment"},
        headers=course.instructor.headers,
    )
    assert banned.status_code == 200, banned.text
    headers = await french_session(conn, course, course.bob)
    response = await client.get(f"/ui/courses/{course.id}/forum", headers=headers)
    assert_page(response, 403)
    assert "vous êtes exclu·e du forum de ce cours" in response.text
    assert f'href="/ui/courses/{course.id}/assignments"' in response.text
    # The API says the same as problem+json.
    api = await client.get(f"/api/v1/courses/{course.id}/threads", headers=headers)
    assert api.status_code == 403
    assert api.headers["content-type"] == "application/problem+json"


async def test_a_muted_learner_replying_from_a_page_gets_a_message_the_page_shows(
    client, conn, course
):
    created = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "Week 1", "body": "Hello"},
        headers=course.alice.headers,
    )
    thread_id = created.json()["thread"]["id"]
    muted = await client.put(
        f"/api/v1/courses/{course.id}/members/{course.bob.user_id}/restrictions",
        json={"kind": "mute", "reason": "spam", "duration_hours": 24},
        headers=course.ta.headers,
    )
    assert muted.status_code == 200, muted.text
    headers = await french_session(conn, course, course.bob)
    response = await client.post(
        f"/ui/courses/{course.id}/forum/threads/{thread_id}/posts",
        data={"body": "me too"},
        headers=headers | HTMX_FRAGMENT,
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" not in response.text  # a fragment for the page's flash area
    assert 'class="notice notice-error"' in response.text
    assert "vous êtes réduit·e au silence" in response.text


async def test_the_json_api_keeps_problem_json_even_for_a_browser(client, course):
    for path in ("/api/v1/no-such-route", "/api/v1/threads/987654321"):
        response = await client.get(path, headers=course.alice.headers | {"Accept": BROWSER_ACCEPT})
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json", path
        assert response.json()["status"] == 404


async def test_outside_the_api_a_browser_gets_a_page_and_a_json_client_problem_json(client):
    browser = await client.get("/no-such-address", headers={"Accept": BROWSER_ACCEPT})
    assert_page(browser, 404)
    assert "Not found" in browser.text
    program = await client.get("/no-such-address", headers={"Accept": "application/json"})
    assert program.status_code == 404
    assert program.headers["content-type"] == "application/problem+json"
    anything = await client.get("/no-such-address")  # httpx sends Accept: */*
    assert anything.headers["content-type"] == "application/problem+json"


def unsigned_id_token(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2ln"


async def test_a_refused_launch_is_explained_in_the_language_the_launch_asked_for(client):
    presentation = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
    token = unsigned_id_token({"sub": "x", presentation: {"locale": "fr-FR"}})
    response = await client.post(
        "/lti/launch",
        data={"id_token": token, "state": "never-issued"},
        headers={"Accept-Language": "en"},
    )
    assert_page(response, 400)
    assert '<html lang="fr">' in response.text
    assert "Agora n’a pas pu s’ouvrir" in response.text
    assert "connexion inconnue ou expirée" in response.text
    assert "Retournez à votre cours" in response.text


async def test_a_refused_login_follows_the_browsers_language(client):
    french = await client.get("/lti/login", headers={"Accept-Language": "fr-CH, en;q=0.5"})
    assert_page(french, 400)
    assert "Agora n’a pas pu s’ouvrir" in french.text
    english = await client.get("/lti/login", headers={"Accept-Language": "de, en;q=0.5"})
    assert "Agora could not open" in english.text


async def test_the_default_board_is_named_in_the_course_language(client, conn, course):
    await conn.execute("UPDATE courses SET language = 'fr' WHERE id = $1", course.id)
    boards = await client.get(f"/api/v1/courses/{course.id}/boards", headers=course.alice.headers)
    assert boards.status_code == 200, boards.text
    default = next(b for b in boards.json()["items"] if b["is_default"])
    assert (default["name"], default["description"]) == (
        "Général",
        "Questions et discussions sur le cours",
    )


async def test_an_address_under_a_pages_own_path_finds_the_sessions_language(client, conn, course):
    """/ui/courses/<id>/forum/nowhere: the router refuses it before any page authenticates."""
    headers = await french_session(conn, course, course.alice)
    response = await client.get(
        f"/ui/courses/{course.id}/forum/nowhere", headers=headers | {"Accept-Language": "en"}
    )
    assert_page(response, 404)
    assert '<html lang="fr">' in response.text
    assert f'href="/ui/courses/{course.id}/assignments"' in response.text
    assert response.headers["cache-control"] == "no-store"
    # Another course's address: nothing of this session applies (the browser's language).
    other = await client.get(
        f"/ui/courses/{course.id + 1000}/forum/nowhere", headers=headers | {"Accept-Language": "en"}
    )
    assert_page(other, 404)
    assert '<html lang="en">' in other.text


async def test_a_dependency_down_on_a_page_is_a_503_page_that_says_retry(app, client, course):
    """One mapping for pages and the API: a dropped database is a 503 with Retry-After on a
    page too (the page router's own handlers used to make it a 500)."""
    import asyncpg
    from litestar import get

    from agora.web import page_router

    @get("/down")
    async def down() -> str:
        raise asyncpg.exceptions.AdminShutdownError("terminating connection")

    app.register(page_router(down))
    response = await client.get("/ui/down", headers=course.alice.headers)
    assert_page(response, 503)
    assert response.headers["retry-after"]
    assert "Nothing was lost" in response.text
