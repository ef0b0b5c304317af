"""End to end against Open edX's LTI 1.3 platform (lti-consumer-xblock, the code edX/FUN run).

What runs for real on each side:
- Platform: lti-consumer-xblock's Django app on loopback (its own models in SQLite) serves the
  platform JWKS, the OAuth2 token endpoint (validating our client assertion against our JWKS URL),
  and the AGS line-item/score/result API, which records our scores in its LtiAgsScore table.
  Its `LtiAdvantageConsumer` (built from its `LtiConfiguration` model) prepares the third-party
  login URL, answers our OIDC redirect with the signed id_token, and validates our signed
  deep-linking response (content items then stored with its serializer and model).
- Tool: Agora served by uvicorn on loopback (this event loop, the test's connection).
Not exercised: its browser launch view and its NRPS view (they need an Open edX LMS runtime:
modulestore, users, enrollments); NRPS paging is covered against the local stand-in platform.
"""

import asyncio
import re
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

pytest.importorskip(
    "lti_consumer", reason="lti-consumer-xblock is not installed: pip install -e '.[openedx]'"
)

from agora.app import create_app
from agora.lti import ags
from agora.lti.queries import platforms as lti_platforms
from agora.outbox import relay_pending
from agora.sessions import select_principal
from agora.settings import load_settings
from agora.worker import build_worker
from tests.agora.lti import openedx_platform
from tests.agora.lti.platform import bound_socket, serve

pytestmark = pytest.mark.openedx


@pytest.fixture(scope="session")
def openedx(tmp_path_factory):
    url, stop = openedx_platform.serve({}, str(tmp_path_factory.mktemp("openedx") / "lms.db"))
    yield url
    stop()


@pytest.fixture
async def agora(database_url, server_urls, database, redis, tmp_path):
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(
        environ={},
        database_url=database_url,
        redis_url=server_urls["redis"],
        public_url=base,
        data_dir=str(tmp_path),
        allow_private_urls=True,  # Open edX is on loopback, over http
    )
    app = create_app(settings, database=database, redis=redis)
    async with serve(app, sock), httpx.AsyncClient(base_url=base, timeout=60) as http:
        http.settings = settings
        yield http


def _configure_platform(openedx_url: str, agora_url: str) -> dict:
    """Create the LTI 1.3 configuration an Open edX course author would (Django ORM, sync)."""
    import secrets

    from lti_consumer.models import Lti1p3Passport, LtiConfiguration
    from opaque_keys.edx.keys import UsageKey

    location = openedx_platform.LOCATION.replace("forum1", "forum" + secrets.token_hex(4))
    passport = Lti1p3Passport.objects.create(lti_1p3_tool_keyset_url=f"{agora_url}/lti/jwks")
    config = LtiConfiguration.objects.create(
        version=LtiConfiguration.LTI_1P3,
        config_store=LtiConfiguration.CONFIG_ON_DB,
        location=UsageKey.from_string(location),
        lti_1p3_passport=passport,
        lti_1p3_oidc_url=f"{agora_url}/lti/login",
        lti_1p3_launch_url=f"{agora_url}/lti/launch",
        lti_1p3_redirect_uris=[f"{agora_url}/lti/launch"],
        lti_advantage_ags_mode=LtiConfiguration.LTI_ADVANTAGE_AGS_PROGRAMMATIC,
        lti_advantage_deep_linking_enabled=True,
        lti_advantage_deep_linking_launch_url=f"{agora_url}/lti/launch",
    )
    api = f"{openedx_url}/api/lti_consumer/v1"
    return {
        "config_pk": config.pk,
        "config_id": str(config.config_id),
        "issuer": config.get_lti_consumer().iss,
        "client_id": config.lti_1p3_client_id,
        "auth_login_url": f"{api}/launch/",
        "location": location,
        "auth_token_url": f"{api}/token/{location}",
        "jwks_url": f"{api}/public_keysets/{location}",
        "lineitems": f"{api}/lti/{config.pk}/lti-ags",
        "dl_return": f"{api}/lti/{config.pk}/lti-dl/response",
    }


def _consumer(platform: dict, *, user: str, role: str, deep: bool = False, custom=None):
    """Open edX's consumer for one launch, and the preflight (login initiation) URL it makes."""
    from lti_consumer.data import Lti1p3LaunchData
    from lti_consumer.models import LtiConfiguration

    config = LtiConfiguration.objects.get(pk=platform["config_pk"])
    consumer = config.get_lti_consumer()
    consumer.set_user_data(
        user_id=user, role=role, full_name=f"Name {user}", email_address=f"{user}@edx.test"
    )
    consumer.set_resource_link_claim(platform["location"], title="Course forum")
    consumer.set_context_claim(
        "course-v1:Agora+E2E+2026", context_title="Agora E2E", context_label="AGE2E"
    )
    consumer.set_launch_presentation_claim(document_target="iframe")
    if custom:
        consumer.set_custom_parameters(custom)
    consumer.enable_ags(
        lineitems_url=platform["lineitems"], allow_programmatic_grade_interaction=True
    )
    if deep:
        consumer.enable_deep_linking(
            f"{platform['jwks_url'].split('/api/')[0]}/unused", platform["dl_return"]
        )
        consumer.dl.deep_linking_launch_url = consumer.launch_url
    launch_data = Lti1p3LaunchData(
        user_id=user,
        user_role=role,
        config_id=platform["config_id"],
        resource_link_id=platform["location"],
        message_type="LtiDeepLinkingRequest" if deep else "LtiResourceLinkRequest",
    )
    return consumer, consumer.prepare_preflight_url(launch_data)


async def _launch(http, platform, **kwargs) -> httpx.Response:
    consumer, preflight = await asyncio.to_thread(_consumer, platform, **kwargs)
    login = await http.get(preflight)  # Agora's /lti/login
    assert login.status_code == 302, login.text
    assert login.headers["location"].startswith(platform["auth_login_url"])
    cookie = login.headers["set-cookie"].split(";")[0]
    preflight_response = dict(parse_qsl(urlsplit(login.headers["location"]).query))
    message = await asyncio.to_thread(consumer.generate_launch_request, preflight_response)
    return await http.post("/lti/launch", data=message, headers={"Cookie": cookie}), consumer


async def _register(conn, platform: dict) -> None:
    platform_id = await lti_platforms.upsert_platform(
        conn,
        issuer=platform["issuer"],
        client_id=platform["client_id"],
        name="Open edX",
        auth_login_url=platform["auth_login_url"],
        auth_token_url=platform["auth_token_url"],
        jwks_url=platform["jwks_url"],
    )
    await lti_platforms.insert_deployment(conn, platform_id, "1")  # Open edX's fixed deployment


def session_of(response) -> str:
    return re.search(r'<meta name="agora-session" content="([^"]+)"', response.text).group(1)


async def test_open_edx_launches_learner_ta_and_instructor_into_the_right_place(
    openedx, agora, conn
):
    platform = await asyncio.to_thread(_configure_platform, openedx, str(agora.base_url))
    await _register(conn, platform)
    cases = [
        ("edx-learner", "student", None, "learner", {"kind": "forum", "id": None}),
        (
            "edx-ta",
            "Community TA",
            {"agora_target": "board", "agora_target_id": "2"},
            "ta",
            {"kind": "board", "id": 2},
        ),
        (
            "edx-instructor",
            "instructor",
            {"agora_target": "assignment", "agora_target_id": "5"},
            "instructor",
            {"kind": "assignment", "id": 5},
        ),
    ]
    for user, edx_role, custom, role, target in cases:
        response, _ = await _launch(agora, platform, user=user, role=edx_role, custom=custom)
        assert response.status_code == 200, response.text
        principal = await select_principal(conn, session_of(response))
        assert (principal.role, principal.target) == (role, target), user
        assert principal.name == f"Name {user}"


async def test_open_edx_records_a_score_published_by_agora(openedx, agora, conn, database, redis):
    from lti_consumer.models import LtiAgsScore

    platform = await asyncio.to_thread(_configure_platform, openedx, str(agora.base_url))
    await _register(conn, platform)
    response, _ = await _launch(agora, platform, user="edx-scored", role="student")
    learner = await select_principal(conn, session_of(response))
    await ags.request_score_passback(
        conn,
        course_id=learner.course_id,
        resource_id="assignment-77",
        label="Essay",
        score_maximum=20,
        user_id=learner.user_id,
        score_given=15.5,
        comment="Clear",
    )
    while await relay_pending(database, redis):
        pass
    await build_worker(agora.settings, database=database, burst=True, redis=redis).main()
    (status,) = await ags.select_passback_status(
        conn, course_id=learner.course_id, resource_id="assignment-77"
    )
    assert status["status"] == "sent", status

    def recorded():
        score = LtiAgsScore.objects.select_related("line_item").get(
            user_id="edx-scored", line_item__lti_configuration_id=platform["config_pk"]
        )
        return (
            score.score_given,
            score.score_maximum,
            score.activity_progress,
            score.grading_progress,
            score.line_item.resource_id,
            score.comment,
        )

    assert await asyncio.to_thread(recorded) == (
        15.5,
        20.0,
        "Completed",
        "FullyGraded",
        "assignment-77",
        "Clear",
    )


async def test_open_edx_accepts_agoras_deep_linking_response(openedx, agora, conn):
    from lti_consumer.lti_1p3.extensions.rest_framework.constants import (
        LTI_DL_CONTENT_TYPE_SERIALIZER_MAP,
    )
    from lti_consumer.models import LtiConfiguration, LtiDlContentItem

    platform = await asyncio.to_thread(_configure_platform, openedx, str(agora.base_url))
    await _register(conn, platform)
    picker, consumer = await _launch(
        agora, platform, user="edx-author", role="instructor", deep=True
    )
    assert picker.status_code == 200, picker.text
    back = await agora.post(
        "/lti/deep-link/return",
        data={
            "session_token": session_of(picker),
            "item": "new:assignment",
            "new_title:assignment": "Peer-reviewed essay",
        },
    )
    created = await conn.fetchval(
        "SELECT id FROM pr_assignments WHERE title = 'Peer-reviewed essay'"
    )
    assert f'action="{platform["dl_return"]}"' in back.text
    signed = re.search(r'name="JWT" value="([^"]+)"', back.text).group(1)

    def store() -> list[dict]:
        # What the platform's deep_linking_response_endpoint does, minus its Studio permission
        # check (which needs an Open edX user store): validate, then save each item.
        items = consumer.check_and_decode_deep_linking_token(signed)
        config = LtiConfiguration.objects.get(pk=platform["config_pk"])
        for item in items:
            serializer = LTI_DL_CONTENT_TYPE_SERIALIZER_MAP[item["type"]](data=item)
            serializer.is_valid(raise_exception=True)
            LtiDlContentItem.objects.create(
                lti_configuration=config,
                content_type=item["type"],
                attributes=serializer.validated_data,
            )
        return [
            dict(i.attributes) for i in LtiDlContentItem.objects.filter(lti_configuration=config)
        ]

    (stored,) = await asyncio.to_thread(store)
    assert stored["title"] == "Peer-reviewed essay"
    assert stored["custom"] == {"agora_target": "assignment", "agora_target_id": str(created)}
