from datetime import UTC, datetime, timedelta

import httpx

from agora.lti import ags, keys, outbound
from agora.lti import claims as c
from tests.agora.lti.conftest import launched
from tests.agora.lti.platform import MEMBERSHIP

# The stand-in platform is on loopback over http.
LOOPBACK = outbound.Policy(allow_private=True)

RESOURCE = ags.assignment_resource_id(41)


def ags_tokens(platform) -> list[dict]:
    return [t for t in platform.token_requests if c.SCOPE_SCORE in t["scopes"]]


async def learners(client, conn, platform, n: int):
    """n learners launched into one course; returns their principals."""
    people = []
    for i in range(n):
        principal, _ = await launched(
            client, conn, platform, sub=f"learner-{i}", roles=[MEMBERSHIP + "Learner"]
        )
        people.append(principal)
    return people


async def test_a_score_is_published_to_the_platform_with_the_launch_sub(
    client, conn, platform, run_outbox
):
    (alice,) = await learners(client, conn, platform, 1)
    platform.tool_jwks = await keys.public_jwks(conn)
    stamp = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
    await ags.request_score_passback(
        conn,
        course_id=alice.course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=20,
        user_id=alice.user_id,
        score_given=17.5,
        comment="Well argued",
        timestamp=stamp,
    )
    status = await ags.select_passback_status(conn, course_id=alice.course_id, resource_id=RESOURCE)
    assert [s["status"] for s in status] == ["pending"]
    await run_outbox()
    assert len(platform.line_items) == 1
    item = next(iter(platform.line_items.values()))
    assert (item["resourceId"], item["label"], item["scoreMaximum"]) == (RESOURCE, "Essay", 20)
    (score,) = platform.scores
    assert score["userId"] == "learner-0"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (17.5, 20)
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"] == "2026-03-01T12:00:00.123+00:00"
    assert score["comment"] == "Well argued"
    assert score["content_type"] == ags.SCORE
    status = await ags.select_passback_status(conn, course_id=alice.course_id, resource_id=RESOURCE)
    assert status[0]["status"] == "sent" and status[0]["attempts"] == 1
    assert status[0]["score_given"] == 17.5 and status[0]["last_error"] is None
    assert platform.user_agents == {outbound.USER_AGENT}


async def test_many_scores_need_one_token_request_and_one_line_item(
    client, conn, platform, run_outbox
):
    people = await learners(client, conn, platform, 5)
    platform.tool_jwks = await keys.public_jwks(conn)
    for i, person in enumerate(people):
        await ags.request_score_passback(
            conn,
            course_id=person.course_id,
            resource_id=RESOURCE,
            label="Essay",
            score_maximum=10,
            user_id=person.user_id,
            score_given=i,
        )
    await run_outbox()
    assert len(platform.scores) == 5
    assert len(ags_tokens(platform)) == 1
    assert ags_tokens(platform)[0]["scopes"] == {c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_RESULT}
    assert len(platform.line_items) == 1


async def test_an_existing_line_item_is_found_by_resource_id(client, conn, platform, run_outbox):
    (alice,) = await learners(client, conn, platform, 1)
    platform.tool_jwks = await keys.public_jwks(conn)
    platform.line_items[1] = {
        "id": f"{platform.url}/lineitems/1",
        "resourceId": RESOURCE,
        "label": "From deep linking",
        "scoreMaximum": 100,
    }
    await ags.request_score_passback(
        conn,
        course_id=alice.course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=10,
        user_id=alice.user_id,
        score_given=5,
    )
    await run_outbox()
    assert len(platform.line_items) == 1
    assert platform.scores[0]["lineitem"] == 1


async def test_a_newer_score_replaces_a_pending_one_and_an_older_one_is_ignored(
    client, conn, platform, run_outbox
):
    (alice,) = await learners(client, conn, platform, 1)
    platform.tool_jwks = await keys.public_jwks(conn)
    now = datetime.now(UTC)
    for given, stamp in ((3, now), (8, now + timedelta(seconds=1)), (1, now - timedelta(hours=1))):
        await ags.request_score_passback(
            conn,
            course_id=alice.course_id,
            resource_id=RESOURCE,
            label="Essay",
            score_maximum=10,
            user_id=alice.user_id,
            score_given=given,
            timestamp=stamp,
        )
    await run_outbox()
    # Two jobs ran (the third request was older and enqueued nothing); one score was sent.
    assert [s["scoreGiven"] for s in platform.scores] == [8]
    (status,) = await ags.select_passback_status(
        conn, course_id=alice.course_id, resource_id=RESOURCE
    )
    assert status["status"] == "sent" and status["score_given"] == 8


async def test_without_an_ags_endpoint_the_status_says_so(client, conn, platform, run_outbox):
    (alice,) = await learners(client, conn, platform, 0) or [None]
    principal, _ = await launched(client, conn, platform, ags=None)
    await ags.request_score_passback(
        conn,
        course_id=principal.course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=10,
        user_id=principal.user_id,
        score_given=5,
    )
    await run_outbox()
    (status,) = await ags.select_passback_status(
        conn, course_id=principal.course_id, resource_id=RESOURCE
    )
    assert status["status"] == "no_endpoint"
    assert platform.scores == []


async def test_a_transient_platform_failure_is_retried_until_sent(
    client, conn, platform, run_outbox
):
    (alice,) = await learners(client, conn, platform, 1)
    platform.tool_jwks = await keys.public_jwks(conn)
    platform.score_failures = 1
    await ags.request_score_passback(
        conn,
        course_id=alice.course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=10,
        user_id=alice.user_id,
        score_given=6,
    )
    await run_outbox()  # the retry is deferred 2 s; burst mode waits for it
    (status,) = await ags.select_passback_status(
        conn, course_id=alice.course_id, resource_id=RESOURCE
    )
    assert status["status"] == "sent" and status["attempts"] == 2
    assert len(platform.scores) == 1


async def test_a_rejected_score_is_visible_as_failed_with_the_reason(
    client, conn, platform, run_outbox
):
    (alice,) = await learners(client, conn, platform, 1)
    platform.tool_jwks = await keys.public_jwks(conn)
    platform.score_failures = 1
    platform.score_status_on_failure = 403
    await ags.request_score_passback(
        conn,
        course_id=alice.course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=10,
        user_id=alice.user_id,
        score_given=6,
    )
    await run_outbox()
    (status,) = await ags.select_passback_status(
        conn, course_id=alice.course_id, resource_id=RESOURCE
    )
    assert status["status"] == "failed" and status["attempts"] == 1
    assert "HTTP 403" in status["last_error"]


async def test_results_are_read_back_from_the_line_item(client, conn, platform, run_outbox):
    (alice,) = await learners(client, conn, platform, 1)
    platform.tool_jwks = await keys.public_jwks(conn)
    await ags.request_score_passback(
        conn,
        course_id=alice.course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=10,
        user_id=alice.user_id,
        score_given=9,
    )
    await run_outbox()
    lineitem = await conn.fetchval(
        "SELECT lineitem_url FROM lti_line_items WHERE course_id = $1", alice.course_id
    )
    row = await conn.fetchrow("SELECT * FROM platforms WHERE id = $1", platform.platform_id)
    async with outbound.client(LOOPBACK) as http:
        from agora.lti.jobs import scopes_for

        client_ = ags.AgsClient(
            http,
            client._transport.app.state.redis,
            dict(row),
            await keys.signing_key(conn),
            scopes_for([]),
        )
        results = await client_.results(lineitem)
    assert results == [
        {"userId": "learner-0", "resultScore": 9.0, "resultMaximum": 10.0, "scoreOf": lineitem}
    ]
    assert len(ags_tokens(platform)) == 1  # the cached token was reused


async def test_scores_waiting_for_an_endpoint_go_out_once_a_launch_brings_one(
    client, conn, platform, run_outbox
):
    principal, _ = await launched(client, conn, platform, ags=None)
    await ags.request_score_passback(
        conn,
        course_id=principal.course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=10,
        user_id=principal.user_id,
        score_given=4,
    )
    await run_outbox()
    (status,) = await ags.select_passback_status(
        conn, course_id=principal.course_id, resource_id=RESOURCE
    )
    assert status["status"] == "no_endpoint"
    platform.tool_jwks = await keys.public_jwks(conn)
    await launched(client, conn, platform)  # this launch carries the AGS claim
    await run_outbox()
    (status,) = await ags.select_passback_status(
        conn, course_id=principal.course_id, resource_id=RESOURCE
    )
    assert status["status"] == "sent"
    assert [s["scoreGiven"] for s in platform.scores] == [4]


async def test_requesting_the_same_score_again_sends_nothing_more_unless_it_failed(
    client, conn, platform, run_outbox
):
    (alice,) = await learners(client, conn, platform, 1)
    platform.tool_jwks = await keys.public_jwks(conn)
    stamp = datetime(2026, 5, 1, tzinfo=UTC)
    score = dict(
        course_id=alice.course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=10,
        user_id=alice.user_id,
        score_given=6,
        timestamp=stamp,
    )
    platform.score_failures, platform.score_status_on_failure = 1, 400
    await ags.request_score_passback(conn, **score)
    await run_outbox()
    (status,) = await ags.select_passback_status(
        conn, course_id=alice.course_id, resource_id=RESOURCE
    )
    assert status["status"] == "failed"
    await ags.request_score_passback(conn, **score)  # the instructor retries
    await run_outbox()
    await ags.request_score_passback(conn, **score)  # a rerun of the release job
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE job = 'lti_publish_score' AND relayed_at IS NULL"
        )
        == 0
    )
    (status,) = await ags.select_passback_status(
        conn, course_id=alice.course_id, resource_id=RESOURCE
    )
    assert status["status"] == "sent"
    assert [s["scoreGiven"] for s in platform.scores] == [6]


def test_the_next_page_comes_from_the_link_header_whatever_its_case_or_neighbours():
    response = httpx.Response(
        200,
        headers=[
            ("link", '<https://lms.test/items?page=1>; rel="prev"'),
            ("LINK", '<https://lms.test/items?page=3>; rel="next", <https://x.test/a>; rel=last'),
        ],
    )
    assert ags.next_link(response) == "https://lms.test/items?page=3"
    assert ags.next_link(httpx.Response(200, headers={"Link": "<https://a>; rel=prev"})) is None
    assert ags.next_link(httpx.Response(200)) is None
