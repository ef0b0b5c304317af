import msgspec

from agora.lti import keys
from tests.agora.lti.conftest import launched
from tests.agora.lti.platform import MEMBERSHIP


def member(sub, role, **extra):
    return {
        "user_id": sub,
        "roles": [MEMBERSHIP + role],
        "name": f"Name {sub}",
        "email": f"{sub}@example.test",
        "status": "Active",
        **extra,
    }


async def roster(conn, course_id):
    rows = await conn.fetch(
        """SELECT u.sub, u.name, m.role, m.active
             FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.course_id = $1 ORDER BY u.sub""",
        course_id,
    )
    return {r["sub"]: (r["name"], r["role"], r["active"]) for r in rows}


async def test_roster_sync_follows_link_next_pages_and_maps_roles(
    client, conn, platform, run_outbox
):
    platform.members = [
        member("m-1", "Instructor"),
        member("m-2", "Learner"),
        {**member("m-3", "Mentor"), "name": ""},
        member("m-4", "Learner", status="Inactive"),
        {
            "user_id": "m-5",
            "roles": [
                "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
            ],
        },
    ]
    platform.page_size = 2
    platform.link_header_name = "LINK"  # header names are case-insensitive
    principal, _ = await launched(client, conn, platform)
    platform.tool_jwks = await keys.public_jwks(conn)
    await run_outbox()
    assert platform.membership_requests == 3
    members = await roster(conn, principal.course_id)
    assert members["m-1"] == ("Name m-1", "instructor", True)
    assert members["m-2"] == ("Name m-2", "learner", True)
    assert members["m-3"][1:] == ("ta", True)
    assert members["m-4"] == ("Name m-4", "learner", False)
    assert members["m-5"][1] == "ta"
    assert "user-learner" in members  # the launching user stays
    synced = await conn.fetchrow(
        "SELECT nrps_synced_at, nrps_last_error FROM lti_course_services WHERE course_id = $1",
        principal.course_id,
    )
    assert synced["nrps_synced_at"] is not None and synced["nrps_last_error"] is None
    assert len(platform.token_requests) == 1


async def test_roster_sync_is_idempotent_and_updates_names(client, conn, platform, run_jobs):
    from agora.lti.jobs import lti_sync_roster

    platform.members = [member("m-1", "Learner")]
    principal, _ = await launched(client, conn, platform)
    platform.tool_jwks = await keys.public_jwks(conn)
    state = client._transport.app.state
    ctx = {"db": state.database, "redis": state.redis, "settings": state.settings}
    assert await lti_sync_roster(ctx, principal.course_id) == 1
    platform.members = [{**member("m-1", "Instructor"), "name": "Renamed"}]
    assert await lti_sync_roster(ctx, principal.course_id) == 1
    members = await roster(conn, principal.course_id)
    assert members["m-1"] == ("Renamed", "instructor", True)
    count = await conn.fetchval(
        "SELECT count(*) FROM users WHERE platform_id = $1 AND sub = 'm-1'", platform.platform_id
    )
    assert count == 1


async def test_roster_sync_failure_is_recorded(client, conn, platform):
    from agora.lti.jobs import lti_sync_roster

    principal, _ = await launched(client, conn, platform)
    platform.tool_jwks = {"keys": []}  # the platform will refuse our client assertion
    state = client._transport.app.state
    ctx = {"db": state.database, "redis": state.redis, "settings": state.settings, "job_try": 3}
    assert await lti_sync_roster(ctx, principal.course_id) == 0
    error = await conn.fetchval(
        "SELECT nrps_last_error FROM lti_course_services WHERE course_id = $1",
        principal.course_id,
    )
    assert "HTTP 401" in error


async def test_roster_sync_outside_dev_never_calls_a_loopback_platform(client, conn, platform):
    """SSRF through a launch claim: an NRPS (and token) URL on loopback is not called."""
    from agora.lti.jobs import lti_sync_roster

    platform.members = [member("m-1", "Learner")]
    principal, _ = await launched(client, conn, platform)
    platform.tool_jwks = await keys.public_jwks(conn)
    state = client._transport.app.state
    production = msgspec.structs.replace(state.settings, allow_private_urls=False, dev=False)
    ctx = {"db": state.database, "redis": state.redis, "settings": production, "job_try": 3}
    assert await lti_sync_roster(ctx, principal.course_id) == 0
    assert platform.token_requests == [] and platform.membership_requests == 0
    error = await conn.fetchval(
        "SELECT nrps_last_error FROM lti_course_services WHERE course_id = $1",
        principal.course_id,
    )
    assert "https" in error
