"""Course Groups: the roster sync reads the LMS's groups and who is in which (NRPS
group_enrollments) into a snapshot per course, against the loopback stand-in platform."""

from agora.lti import keys
from agora.lti.jobs import lti_sync_roster
from tests.agora.lti.conftest import launched
from tests.agora.lti.test_nrps import member


async def snapshot(conn, course_id):
    groups = {
        r["group_key"]: (r["name"], r["set_key"], r["set_name"])
        for r in await conn.fetch(
            "SELECT group_key, name, set_key, set_name FROM lti_groups WHERE course_id = $1",
            course_id,
        )
    }
    members = {
        (r["sub"], r["group_key"])
        for r in await conn.fetch(
            """SELECT u.sub, m.group_key FROM lti_group_members m JOIN users u ON u.id = m.user_id
                WHERE m.course_id = $1""",
            course_id,
        )
    }
    return groups, members


def in_groups(sub, *group_ids):
    return {**member(sub, "Learner"), "group_enrollments": [{"group_id": g} for g in group_ids]}


def job_context(client):
    state = client._transport.app.state
    return {"db": state.database, "redis": state.redis, "settings": state.settings}


async def test_the_roster_sync_reads_groups_sets_and_who_is_in_which_page_by_page(
    client, conn, platform, run_outbox
):
    platform.group_sets = [{"id": "s1", "name": "Project teams"}, {"id": "s2", "name": "Labs"}]
    platform.groups = [
        {"id": "g1", "name": "Sun", "set_id": "s1"},
        {"id": "g2", "name": "Moon", "set_id": "s1"},
        {"id": "g3", "name": "Tuesday lab", "set_ids": ["s2"]},
        {"id": "g4", "name": "Unsorted"},
    ]
    platform.members = [
        in_groups("m-1", "g1", "g3"),
        in_groups("m-2", "g1"),
        in_groups("m-3", "g2", "no-such-group"),
        member("m-4", "Learner"),
    ]
    principal, _ = await launched(client, conn, platform, groups=platform.groups_claim)
    platform.tool_jwks = await keys.public_jwks(conn)
    await run_outbox()
    groups, members = await snapshot(conn, principal.course_id)
    assert groups == {
        "g1": ("Sun", "s1", "Project teams"),
        "g2": ("Moon", "s1", "Project teams"),
        "g3": ("Tuesday lab", "s2", "Labs"),
        "g4": ("Unsorted", "", ""),
    }
    assert members == {("m-1", "g1"), ("m-1", "g3"), ("m-2", "g1"), ("m-3", "g2")}
    assert platform.group_requests == 3  # one page of sets, two of groups (page size 2)
    # groups are asked with a token of their own scope: a platform may refuse to mix them
    assert [r["scopes"] for r in platform.token_requests] == [
        {"https://purl.imsglobal.org/spec/lti-gs/scope/contextgroup.readonly"},
        {"https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"},
    ]
    synced = await conn.fetchval(
        "SELECT groups_synced_at FROM lti_course_services WHERE course_id = $1",
        principal.course_id,
    )
    assert synced is not None


async def test_a_later_sync_drops_groups_and_memberships_the_lms_no_longer_has(
    client, conn, platform
):
    platform.groups = [{"id": "g1", "name": "Sun"}, {"id": "g2", "name": "Moon"}]
    platform.members = [in_groups("m-1", "g1"), in_groups("m-2", "g2")]
    principal, _ = await launched(client, conn, platform, groups=platform.groups_claim)
    platform.tool_jwks = await keys.public_jwks(conn)
    assert await lti_sync_roster(job_context(client), principal.course_id) == 2
    platform.groups = [{"id": "g1", "name": "Sun, renamed"}]
    platform.members = [in_groups("m-1"), in_groups("m-2", "g1")]
    assert await lti_sync_roster(job_context(client), principal.course_id) == 2
    groups, members = await snapshot(conn, principal.course_id)
    assert groups == {"g1": ("Sun, renamed", "", "")}
    assert members == {("m-2", "g1")}


async def test_groups_that_cannot_be_read_leave_the_roster_synced_and_the_snapshot_as_it_was(
    client, conn, platform
):
    platform.groups = [{"id": "g1", "name": "Sun"}]
    platform.members = [in_groups("m-1", "g1")]
    principal, _ = await launched(client, conn, platform, groups=platform.groups_claim)
    platform.tool_jwks = await keys.public_jwks(conn)
    await lti_sync_roster(job_context(client), principal.course_id)
    await conn.execute(
        "UPDATE lti_course_services SET groups_url = $2 WHERE course_id = $1",
        principal.course_id,
        f"{platform.url}/no-groups-here",  # the platform answers 404
    )
    platform.members = [in_groups("m-1", "g1"), member("m-2", "Learner")]
    assert await lti_sync_roster(job_context(client), principal.course_id) == 2
    groups, members = await snapshot(conn, principal.course_id)
    assert groups == {"g1": ("Sun", "", "")} and members == {("m-1", "g1")}
    error = await conn.fetchval(
        "SELECT nrps_last_error FROM lti_course_services WHERE course_id = $1",
        principal.course_id,
    )
    assert error is None


async def test_a_platform_that_stops_offering_groups_leaves_no_snapshot_behind(
    client, conn, platform
):
    platform.groups = [{"id": "g1", "name": "Sun"}]
    platform.members = [in_groups("m-1", "g1")]
    principal, _ = await launched(client, conn, platform, groups=platform.groups_claim)
    platform.tool_jwks = await keys.public_jwks(conn)
    await lti_sync_roster(job_context(client), principal.course_id)
    await conn.execute(
        "UPDATE lti_course_services SET nrps_requested_at = NULL WHERE course_id = $1",
        principal.course_id,
    )
    await launched(client, conn, platform)  # a launch naming no groups service
    await lti_sync_roster(job_context(client), principal.course_id)
    assert await snapshot(conn, principal.course_id) == ({}, set())


async def test_bad_group_entries_are_skipped_and_names_bounded(client, conn, platform):
    platform.groups = [
        {"id": "g1", "name": "x" * 1000},
        {"name": "no id"},
        {"id": 7, "name": "numeric id"},
        "not an object",
        {"id": "g2"},
    ]
    platform.members = [in_groups("m-1", "g1", "g2")]
    principal, _ = await launched(client, conn, platform, groups=platform.groups_claim)
    platform.tool_jwks = await keys.public_jwks(conn)
    await lti_sync_roster(job_context(client), principal.course_id)
    groups, members = await snapshot(conn, principal.course_id)
    assert groups == {"g1": ("x" * 255, "", ""), "g2": ("g2", "", "")}
    assert members == {("m-1", "g1"), ("m-1", "g2")}
