"""The dev LMS, end to end over real HTTP: Agora served by uvicorn on loopback (in this event
loop, on the test's connection), the dev LMS inside it acting as the platform."""

import re
from urllib.parse import urljoin

import httpx
import pytest

from agora.app import create_app
from agora.demo import DEV_DEPLOYMENT_ID, upsert_dev_platform
from agora.devlms.schema import create_schema
from agora.lti import ags
from agora.lti.queries import platforms as lti_platforms
from agora.sessions import select_principal
from agora.settings import load_settings
from tests.agora.lti.platform import bound_socket, serve


async def test_dev_lms_is_off_by_default(client):
    for path in (
        "/dev/lms",
        "/dev/lms/jwks",
        "/dev/lms/start?person=dev-ta&link=0",
        "/dev/lms?dev=1",
    ):
        response = await client.get(path, headers={"X-Agora-Dev": "1"})
        assert response.status_code == 404, path
    response = await client.post("/dev/lms/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 404


@pytest.fixture
async def dev(database_url, server_urls, database, redis, conn, tmp_path):
    """Agora in dev mode on a real loopback port, with the dev platform registered."""
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(
        environ={},
        database_url=database_url,
        redis_url=server_urls["redis"],
        dev=True,
        public_url=base,
        data_dir=str(tmp_path),
    )
    await create_schema(conn)  # as `agora serve` does in dev mode (rolled back with the test)
    platform_id = await upsert_dev_platform(conn, base)
    await lti_platforms.insert_deployment(conn, platform_id, DEV_DEPLOYMENT_ID)
    app = create_app(settings, database=database, redis=redis)
    async with serve(app, sock), httpx.AsyncClient(base_url=base, timeout=30) as http:
        http.settings = settings
        yield http


async def browse(http: httpx.AsyncClient, path: str) -> httpx.Response:
    """Follow the dev LMS's real flow as a browser would (cookies sent back by hand: httpx does
    not return Secure cookies over http, which browsers do for 127.0.0.1)."""
    cookies: dict[str, str] = {}
    response = await http.get(path)
    for _ in range(10):
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";")[0]
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        headers = {"Cookie": cookie} if cookie else {}
        if response.status_code in (302, 303):
            response = await http.get(
                urljoin(str(response.url), response.headers["location"]), headers=headers
            )
            continue
        form = re.search(r'<form id="autopost" method="post" action="([^"]+)"', response.text)
        if response.status_code == 200 and form:
            fields = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text)
            )
            response = await http.post(form.group(1), data=fields, headers=headers)
            continue
        return response
    raise AssertionError("too many hops")


def session_of(response) -> str:
    return re.search(r'<meta name="agora-session" content="([^"]+)"', response.text).group(1)


async def test_dev_lms_lists_the_demo_people_with_launch_buttons(dev):
    page = await dev.get("/dev/lms")
    assert page.status_code == 200
    for name in ("Inès Moreau", "Tomás Alvarez", "Amara Okafor", "Jonas Weber"):
        assert name in page.text
    assert "Add content (deep linking)" in page.text
    keys = (await dev.get("/dev/lms/jwks")).json()["keys"]
    assert keys[0]["kid"] == "dev-lms-1" and "d" not in keys[0]


@pytest.mark.parametrize(
    ("sub", "role"),
    [("dev-learner-1", "learner"), ("dev-ta", "ta"), ("dev-instructor", "instructor")],
)
async def test_dev_lms_launches_each_role_into_the_forum(dev, conn, sub, role):
    landed = await browse(dev, f"/dev/lms/start?person={sub}&link=0")
    assert landed.status_code == 200, landed.text
    principal = await select_principal(conn, session_of(landed))
    assert principal.role == role
    assert principal.target == {"kind": "forum", "id": None}
    assert (
        await conn.fetchval("SELECT context_id FROM courses WHERE id = $1", principal.course_id)
        == "demo-course-climate-101"
    )


async def test_dev_lms_deep_linking_adds_links_that_launch_into_their_target(dev, conn):
    picker = await browse(dev, "/dev/lms/start?person=dev-instructor&link=deep")
    assert picker.status_code == 200 and 'action="/lti/deep-link/return"' in picker.text
    back = await dev.post(
        "/lti/deep-link/return",
        data={
            "session_token": session_of(picker),
            "item": ["new:board", "new:assignment"],
            "new_title:board": "Week 3",
            "new_title:assignment": "Essay",
        },
    )
    essay = await conn.fetchval("SELECT id FROM pr_assignments WHERE title = 'Essay'")
    form = re.search(r'action="([^"]+)"', back.text).group(1)
    jwt_value = re.search(r'name="JWT" value="([^"]+)"', back.text).group(1)
    stored = await dev.post(form, data={"JWT": jwt_value})
    assert stored.status_code == 303 and stored.headers["location"] == "/dev/lms?added=2"
    links = await conn.fetch("SELECT id, title, custom, line_item FROM devlms_links ORDER BY id")
    assert [link["title"] for link in links] == ["Week 3", "Essay"]
    assert links[1]["line_item"]["resourceId"] == f"assignment-{essay}"
    page = await dev.get("/dev/lms")
    assert "Week 3" in page.text
    landed = await browse(dev, f"/dev/lms/start?person=dev-learner-2&link={links[1]['id']}")
    principal = await select_principal(conn, session_of(landed))
    assert principal.target == {"kind": "assignment", "id": essay}
    # Learners cannot deep link at the dev LMS either.
    refused = await browse(dev, "/dev/lms/start?person=dev-learner-2&link=deep")
    assert refused.status_code == 403


async def test_dev_lms_records_a_passed_back_score_and_serves_the_roster(
    dev, conn, database, redis
):
    from agora.outbox import relay_pending

    landed = await browse(dev, "/dev/lms/start?person=dev-learner-3&link=0")
    principal = await select_principal(conn, session_of(landed))
    await ags.request_score_passback(
        conn,
        course_id=principal.course_id,
        resource_id="assignment-8",
        label="Essay",
        score_maximum=10,
        user_id=principal.user_id,
        score_given=7,
    )
    while await relay_pending(database, redis):
        pass
    from agora.worker import build_worker

    # The worker must see the dev settings (base URL of the live server). No close(): it would
    # close the fixture's Redis client.
    await build_worker(dev.settings, database=database, burst=True, redis=redis).main()
    (status,) = await ags.select_passback_status(
        conn, course_id=principal.course_id, resource_id="assignment-8"
    )
    assert status["status"] == "sent", status
    score = await conn.fetchrow("SELECT * FROM devlms_scores")
    assert (score["user_sub"], score["score_given"], score["score_maximum"]) == (
        "dev-learner-3",
        7,
        10,
    )
    assert (score["activity_progress"], score["grading_progress"]) == ("Completed", "FullyGraded")
    assert "dev-learner-3" in (await dev.get("/dev/lms")).text
    roster = await conn.fetch(
        """SELECT u.sub, m.role FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 ORDER BY u.sub""",
        principal.course_id,
    )
    assert {r["sub"]: r["role"] for r in roster} == {
        "dev-instructor": "instructor",
        "dev-ta": "ta",
        "dev-learner-1": "learner",
        "dev-learner-2": "learner",
        "dev-learner-3": "learner",
        "dev-learner-4": "learner",
    }
    groups = await conn.fetch(
        """SELECT g.set_name, g.name, array_agg(u.sub ORDER BY u.sub) AS subs
             FROM lti_groups g
             JOIN lti_group_members m USING (course_id, group_key)
             JOIN users u ON u.id = m.user_id
            WHERE g.course_id = $1 GROUP BY 1, 2 ORDER BY 1, 2""",
        principal.course_id,
    )  # the Course Groups service, read with the roster
    assert [tuple(r) for r in groups] == [
        ("Lab sections", "Thursday lab", ["dev-learner-2", "dev-learner-4"]),
        ("Lab sections", "Tuesday lab", ["dev-learner-1", "dev-learner-3"]),
        ("Project teams", "Team Moon", ["dev-learner-3", "dev-learner-4"]),
        ("Project teams", "Team Sun", ["dev-learner-1", "dev-learner-2"]),
    ]


async def test_dev_lms_launches_in_the_language_chosen_on_its_page(dev, conn):
    page = await dev.get("/dev/lms?locale=fr")
    assert '<input type="hidden" name="locale" value="fr">' in page.text
    assert 'href="/dev/lms?locale=en"' in page.text  # the way back to English launches
    landed = await browse(dev, "/dev/lms/start?person=dev-learner-1&link=0&locale=fr")
    assert landed.status_code == 200, landed.text
    assert '<html lang="fr">' in landed.text
    assert (await select_principal(conn, session_of(landed))).locale == "fr"
    raw = await conn.fetchval("SELECT locale FROM users WHERE sub = 'dev-learner-1'")
    assert raw == "fr"
    # Without a choice the launch asks for English, as before.
    english = await browse(dev, "/dev/lms/start?person=dev-learner-1&link=0")
    assert '<html lang="en">' in english.text
    refused = await dev.get("/dev/lms/start?person=dev-learner-1&link=0&locale=<b>fr")
    assert refused.status_code == 400


async def test_a_grade_reaches_the_gradebook_rounded_as_an_lms_shows_it(dev, conn, database, redis):
    from agora.outbox import relay_pending
    from agora.worker import build_worker

    landed = await browse(dev, "/dev/lms/start?person=dev-learner-2&link=0")
    principal = await select_principal(conn, session_of(landed))
    await ags.request_score_passback(
        conn,
        course_id=principal.course_id,
        resource_id="assignment-9",
        label="Essay on albedo",
        score_maximum=10,
        user_id=principal.user_id,
        score_given=9.611858064750988,  # what a grading model estimates
    )
    while await relay_pending(database, redis):
        pass
    await build_worker(dev.settings, database=database, burst=True, redis=redis).main()
    score = await conn.fetchrow("SELECT score_given, score_maximum FROM devlms_scores")
    assert (score["score_given"], score["score_maximum"]) == (9.61, 10)
    page = await dev.get("/dev/lms")
    assert '<td class="score">9.61 / 10</td>' in page.text
