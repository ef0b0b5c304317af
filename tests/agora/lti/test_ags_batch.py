"""A whole line item's scores at once (ags.request_score_passbacks): one statement records them
and enqueues one `lti_publish_scores` job per batch; each job sends its batch and is safe to
run twice."""

from datetime import UTC, datetime

from agora.lti import ags, keys
from tests.agora.lti.test_ags import RESOURCE, ags_tokens, learners

STAMP = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


async def request(conn, people, scores, *, batch=2, stamp=STAMP):
    return await ags.request_score_passbacks(
        conn,
        course_id=people[0].course_id,
        resource_id=RESOURCE,
        label="Essay",
        score_maximum=10,
        users=[p.user_id for p in people],
        scores=scores,
        timestamps=[stamp] * len(people),
        batch=batch,
    )


async def statuses(conn, people):
    rows = await ags.select_passback_status(
        conn, course_id=people[0].course_id, resource_id=RESOURCE
    )
    return {r["user_id"]: r for r in rows}


async def test_scores_go_out_in_batches_with_one_token_and_one_line_item(
    client, conn, platform, run_outbox
):
    people = await learners(client, conn, platform, 5)
    platform.tool_jwks = await keys.public_jwks(conn)
    assert await request(conn, people, [1, 2.345678, 3, 4, 10]) == (5, 3)
    jobs = await conn.fetch(
        "SELECT args FROM outbox WHERE job = 'lti_publish_scores' AND course_id = $1 ORDER BY id",
        people[0].course_id,
    )
    assert [len(j["args"][2]) for j in jobs] == [2, 2, 1]
    await run_outbox()
    sent = {s["userId"]: s["scoreGiven"] for s in platform.scores}
    assert sent == {"learner-0": 1, "learner-1": 2.35, "learner-2": 3, "learner-3": 4,
                    "learner-4": 10}  # fmt: skip
    assert {s["timestamp"] for s in platform.scores} == {"2026-06-01T09:30:00.000+00:00"}
    assert len(ags_tokens(platform)) == 1 and len(platform.line_items) == 1
    assert {r["status"] for r in (await statuses(conn, people)).values()} == {"sent"}
    # A rerun of the release (the same scores, the same timestamps) enqueues and sends nothing.
    assert await request(conn, people, [1, 2.345678, 3, 4, 10]) == (0, 0)
    await run_outbox()
    assert len(platform.scores) == 5
    # One changed score: one job, one POST.
    assert await request(conn, people, [1, 2.345678, 3, 4, 9.5]) == (1, 1)
    await run_outbox()
    assert [s["scoreGiven"] for s in platform.scores[5:]] == [9.5]


async def test_a_failed_score_is_retried_and_the_sent_ones_are_not_sent_again(
    client, conn, platform, run_outbox
):
    people = await learners(client, conn, platform, 3)
    platform.tool_jwks = await keys.public_jwks(conn)
    platform.score_failures, platform.score_status_on_failure = 1, 503
    await request(conn, people, [5, 6, 7], batch=10)
    await run_outbox()  # the job meets a 503, arq runs it again after its backoff
    rows = await statuses(conn, people)
    assert {r["status"] for r in rows.values()} == {"sent"}
    assert sorted(s["scoreGiven"] for s in platform.scores) == [5, 6, 7]  # each exactly once


async def test_a_refused_score_fails_alone(client, conn, platform, run_outbox):
    people = await learners(client, conn, platform, 3)
    platform.tool_jwks = await keys.public_jwks(conn)
    platform.score_failures, platform.score_status_on_failure = 1, 400
    await request(conn, people, [5, 6, 7], batch=10)
    await run_outbox()
    rows = await statuses(conn, people)
    assert sorted(r["status"] for r in rows.values()) == ["failed", "sent", "sent"]
    failed = next(r for r in rows.values() if r["status"] == "failed")
    assert "HTTP 400" in failed["last_error"] and failed["attempts"] == 1
    # The same scores again: only the failed one is requested (a retry), and it goes out.
    assert await request(conn, people, [5, 6, 7], batch=10) == (1, 1)
    await run_outbox()
    assert {r["status"] for r in (await statuses(conn, people)).values()} == {"sent"}
    assert len(platform.scores) == 3


async def test_without_an_ags_endpoint_the_batch_waits_for_one(client, conn, platform, run_outbox):
    from tests.agora.lti.conftest import launched

    principal, _ = await launched(client, conn, platform, ags=None)
    await request(conn, [principal], [4])
    await run_outbox()
    (row,) = (await statuses(conn, [principal])).values()
    assert row["status"] == "no_endpoint"
    platform.tool_jwks = await keys.public_jwks(conn)
    await launched(client, conn, platform)  # this launch carries the AGS claim
    await run_outbox()
    assert [s["scoreGiven"] for s in platform.scores] == [4]


async def test_bad_requests_are_refused_before_anything_is_written(conn):
    import pytest

    for users, scores, maximum in (([1], [-1.0], 10), ([1], [1.0], 0), ([1, 2], [1.0], 10)):
        with pytest.raises(ValueError):
            await ags.request_score_passbacks(
                conn, course_id=1, resource_id=RESOURCE, label="x", score_maximum=maximum,
                users=users, scores=scores, timestamps=[STAMP] * len(users),
            )  # fmt: skip
