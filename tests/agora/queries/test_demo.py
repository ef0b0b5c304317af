"""agora.queries.demo on the rolled-back connection: seeding again refreshes the course title,
a person's name and a member's role, and keeps everything else."""

import secrets

from agora.lti.queries import platforms
from agora.queries import demo as q


async def test_seeding_again_refreshes_only_title_name_and_role(conn):
    platform_id = await platforms.upsert_platform(
        conn,
        issuer=f"https://lms-{secrets.token_hex(4)}.test",
        client_id="client",
        name="LMS",
        auth_login_url="https://lms.test/auth",
        auth_token_url="https://lms.test/token",
        jwks_url="https://lms.test/jwks",
    )
    await platforms.insert_deployment(conn, platform_id, "d1")
    course = dict(platform_id=platform_id, deployment_id="d1", context_id="ctx")
    course_id = await q.upsert_course(conn, **course, title="Old", label="OLD")
    person = dict(platform_id=platform_id, sub="s1", given_name="A", family_name="B")
    user_id = await q.upsert_user(conn, **person, name="Old name", email="old@lms.test")
    await q.upsert_membership(conn, course_id, user_id, role="learner")

    assert await q.upsert_course(conn, **course, title="New", label="NEW") == course_id
    assert await q.upsert_user(conn, **person, name="New name", email="new@lms.test") == user_id
    await q.upsert_membership(conn, course_id, user_id, role="ta")

    row = await conn.fetchrow("SELECT title, label FROM courses WHERE id = $1", course_id)
    assert (row["title"], row["label"]) == ("New", "OLD")
    row = await conn.fetchrow("SELECT name, email FROM users WHERE id = $1", user_id)
    assert (row["name"], row["email"]) == ("New name", "old@lms.test")
    role = await conn.fetchval(
        "SELECT role FROM memberships WHERE course_id = $1 AND user_id = $2", course_id, user_id
    )
    assert role == "ta"
