import asyncio
import os
from datetime import timedelta

import asyncpg
import pytest
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import KeySet

from agora.cli import main
from agora.lti import keys


async def test_jwks_publishes_a_key_generated_on_first_use(client, conn):
    assert await conn.fetchval("SELECT count(*) FROM lti_tool_keys") == 0
    response = await client.get("/lti/jwks")
    assert response.status_code == 200
    published = response.json()["keys"]
    assert len(published) == 1
    assert published[0]["kty"] == "RSA" and published[0]["alg"] == "RS256"
    assert "d" not in published[0] and "p" not in published[0]
    again = (await client.get("/lti/jwks")).json()["keys"]
    assert again == published


async def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_published(client, conn):
    old = await keys.signing_key(conn)
    new_kid = await keys.rotate(conn, timedelta(days=7))
    token = await keys.sign(conn, {"hello": "world"})
    published = (await client.get("/lti/jwks")).json()
    kids = {k["kid"] for k in published["keys"]}
    assert kids == {old.kid, new_kid}
    decoded = jwt.decode(token, KeySet.import_key_set(published), algorithms=["RS256"])
    assert decoded.header["kid"] == new_kid


async def test_keys_past_their_grace_period_are_no_longer_published(client, conn):
    old = await keys.signing_key(conn)
    await keys.rotate(conn, timedelta(seconds=0))
    kids = {k["kid"] for k in (await client.get("/lti/jwks")).json()["keys"]}
    assert old.kid not in kids and len(kids) == 1


def cleanup(url: str, *statements: str) -> None:
    async def run():
        connection = await asyncpg.connect(url)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@pytest.fixture
def cli_env(database_url, server_urls, monkeypatch):
    # The CLI opens its own connections, so it writes to the real test database (committed);
    # each test cleans up what it made.
    monkeypatch.setenv("AGORA_DATABASE_URL", database_url)
    monkeypatch.setenv("AGORA_REDIS_URL", server_urls["redis"])
    for name in list(os.environ):
        if name.startswith("AGORA_") and name not in ("AGORA_DATABASE_URL", "AGORA_REDIS_URL"):
            if not name.startswith("AGORA_TEST_"):
                monkeypatch.delenv(name)
    return database_url


def test_platform_add_and_list_from_the_cli(cli_env):
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "platform",
            "add",
            "--issuer",
            "https://cli-lms.test",
            "--client-id",
            "c-1",
            "--deployment-id",
            "d-1",
            "--deployment-id",
            "d-2",
            "--auth-login-url",
            "https://cli-lms.test/auth",
            "--auth-token-url",
            "https://cli-lms.test/token",
            "--jwks-url",
            "https://cli-lms.test/jwks",
            "--name",
            "CLI LMS",
            "--origin",
            "https://School.cli-lms.test:443/some/page",
        ],
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["platform", "list"])
    assert "https://cli-lms.test" in listed.output and "d-1,d-2" in listed.output
    origins = asyncio.run(_fetchval(cli_env, "https://cli-lms.test"))
    assert origins == ["https://school.cli-lms.test"]
    bad = runner.invoke(
        main,
        [
            "platform",
            "add",
            "--issuer",
            "x",
            "--client-id",
            "c",
            "--deployment-id",
            "d",
            "--auth-login-url",
            "ftp://x",
            "--auth-token-url",
            "https://x",
            "--jwks-url",
            "https://x",
        ],
    )
    assert bad.exit_code != 0 and "http(s) URL" in bad.output
    cleanup(
        cli_env,
        "DELETE FROM deployments WHERE platform_id IN "
        "(SELECT id FROM platforms WHERE issuer = 'https://cli-lms.test')",
        "DELETE FROM platforms WHERE issuer = 'https://cli-lms.test'",
    )


async def _fetchval(url: str, issuer: str):
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT origins FROM platforms WHERE issuer = $1", issuer)
    finally:
        await connection.close()


def test_platform_invite_prints_a_one_time_registration_url(cli_env, monkeypatch):
    monkeypatch.setenv("AGORA_PUBLIC_URL", "https://agora.example")
    runner = CliRunner()
    result = runner.invoke(main, ["platform", "invite", "--hours", "2", "--note", "Moodle"])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith("https://agora.example/lti/register?invite=")
    token = url.rsplit("=", 1)[1]
    assert len(token) >= 40
    listed = runner.invoke(main, ["platform", "invites"])
    assert "open until" in listed.output and "Moodle" in listed.output
    assert token not in listed.output
    bad = runner.invoke(main, ["platform", "invite", "--hours", "0"])
    assert bad.exit_code != 0
    cleanup(cli_env, "DELETE FROM lti_registration_invites WHERE note = 'Moodle'")


def test_keys_rotate_from_the_cli(cli_env):
    runner = CliRunner()
    first = runner.invoke(main, ["keys", "list"])
    assert first.exit_code == 0, first.output
    rotated = runner.invoke(main, ["keys", "rotate", "--grace-days", "3"])
    assert rotated.exit_code == 0 and "new signing key" in rotated.output
    listed = runner.invoke(main, ["keys", "list"]).output
    assert "signing" in listed and "retired, published until" in listed
    cleanup(cli_env, "DELETE FROM lti_tool_keys")
