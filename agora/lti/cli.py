"""`agora platform add|list|invite` and `agora keys rotate|list`: the LTI registry from the shell.

`platform add` is the one way to change an existing registration; `platform invite` prints the
one-time URL an LMS administrator gives their LMS for dynamic registration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from typing import TypeVar

import asyncpg
import click

from agora.lti import keys, outbound, registration
from agora.lti.queries import platforms, registrations, tool_keys
from agora.settings import Settings

T = TypeVar("T")
Work = Callable[[asyncpg.Connection], Awaitable[T]]


async def _with_connection(settings: Settings, work: Work[T]) -> T:
    from agora.db import init_connection

    connection = await asyncpg.connect(settings.database_url)
    try:
        await init_connection(connection)
        async with connection.transaction():
            return await work(connection)
    finally:
        await connection.close()


def _run(work: Work[T]) -> T:
    """Migrate, then run `work` in one transaction on a connection of its own."""
    return _run_with_settings(lambda connection, _: work(connection))


def _run_with_settings(work: Callable[[asyncpg.Connection, Settings], Awaitable[T]]) -> T:
    from agora.cli import resolved_settings, run_migrations

    with resolved_settings() as settings:
        run_migrations(settings)
        return asyncio.run(_with_connection(settings, lambda c: work(c, settings)))


def _url(value: str, name: str) -> str:
    # Administrators may name http or private URLs (an LMS on the campus network); the outbound
    # guard still decides, call by call, under the server's settings.
    try:
        return outbound.check_url(value, outbound.Policy(allow_private=True), name)
    except outbound.UnsafeURL:
        raise click.BadParameter(f"{name} must be an http(s) URL") from None


@click.group()
def platform() -> None:
    """LTI 1.3 platforms (LMS registrations) that may launch Agora."""


@platform.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss), exactly.")
@click.option("--client-id", required=True, help="The client_id the platform gave Agora.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Repeatable.")
@click.option("--auth-login-url", required=True, help="OIDC authentication request URL.")
@click.option("--auth-token-url", required=True, help="OAuth2 token URL (AGS, NRPS).")
@click.option("--jwks-url", required=True, help="The platform's public keys.")
@click.option("--name", default="", help="A label for people.")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help="Another origin the platform's pages live on, where deep-linking answers may be "
    "posted (e.g. https://school.instructure.com). Repeatable.",
)
def platform_add(
    issuer: str,
    client_id: str,
    deployment_ids: tuple[str, ...],
    auth_login_url: str,
    auth_token_url: str,
    jwks_url: str,
    name: str,
    origins: tuple[str, ...],
) -> None:
    """Register (or update) a platform and its deployments."""
    for value, label in (
        (auth_login_url, "--auth-login-url"),
        (auth_token_url, "--auth-token-url"),
        (jwks_url, "--jwks-url"),
    ):
        _url(value, label)
    named = [outbound.origin(_url(value, "--origin")) for value in origins]

    async def work(connection: asyncpg.Connection) -> int:
        platform_id = await platforms.upsert_platform(
            connection,
            issuer=issuer,
            client_id=client_id,
            name=name,
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            jwks_url=jwks_url,
            origins=named,
        )
        for deployment_id in deployment_ids:
            await platforms.insert_deployment(connection, platform_id, deployment_id)
        return platform_id

    platform_id = _run(work)
    click.echo(
        f"platform {platform_id}: {issuer} client {client_id} "
        f"deployments {', '.join(deployment_ids)}"
    )


@platform.command("list")
def platform_list() -> None:
    """List registered platforms with their deployments."""
    rows = _run(platforms.select_platforms)
    if not rows:
        click.echo("no platforms registered")
    for row in rows:
        click.echo(
            f"{row['id']}\t{row['issuer']}\tclient={row['client_id']}\t"
            f"deployments={','.join(row['deployments'])}\t{row['name']}"
        )


@platform.command("invite")
@click.option(
    "--hours",
    default=24,
    show_default=True,
    type=click.IntRange(1, 24 * 30),
    help="How long the invite stays valid.",
)
@click.option("--note", default="", help="Whom it is for (shown by `platform invites`).")
def platform_invite(hours: int, note: str) -> None:
    """Print a one-time dynamic registration URL to give an LMS administrator."""
    url, expires_at = _run_with_settings(
        lambda connection, settings: registration.create_invite(
            connection, settings, timedelta(hours=hours), note[:200]
        )
    )
    click.echo(url)
    click.echo(
        f"Paste it into the LMS's dynamic registration (tool registration URL). It works once, "
        f"until {expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC.",
        err=True,
    )


@platform.command("invites")
def platform_invites() -> None:
    """List registration invites: open, used (with the platform registered) or expired."""
    from datetime import datetime

    rows = _run(registrations.select_invites)
    if not rows:
        click.echo("no invites")
    now = datetime.now(UTC)
    for row in rows:
        if row["used_at"] is not None:
            state = f"used {row['used_at']:%Y-%m-%d %H:%M}"
            if row["issuer"]:
                state += f" by {row['issuer']} client {row['client_id']}"
        elif row["expires_at"] <= now:
            state = "expired"
        else:
            state = f"open until {row['expires_at']:%Y-%m-%d %H:%M}"
        click.echo(f"{row['id']}\t{row['created_at']:%Y-%m-%d}\t{state}\t{row['note']}")


@click.group("keys")
def keys_group() -> None:
    """Agora's own signing keys (published at /lti/jwks)."""


@keys_group.command("rotate")
@click.option(
    "--grace-days",
    default=7,
    show_default=True,
    type=click.IntRange(0, 365),
    help="How long the previous keys stay published.",
)
def keys_rotate(grace_days: int) -> None:
    """Add a new signing key; the previous ones stay published for the grace period."""
    kid = _run(lambda connection: keys.rotate(connection, timedelta(days=grace_days)))
    click.echo(f"new signing key {kid}; previous keys published for {grace_days} more days")


@keys_group.command("list")
def keys_list() -> None:
    """List signing keys and their state."""

    async def work(connection: asyncpg.Connection) -> list[asyncpg.Record]:
        await keys.signing_key(connection)
        return await tool_keys.select_tool_keys(connection)

    for row in _run(work):
        state = (
            "signing"
            if row["retired_at"] is None
            else f"retired, published until {row['not_after']:%Y-%m-%d %H:%M}"
        )
        click.echo(f"{row['kid']}\t{row['created_at']:%Y-%m-%d}\t{state}")


COMMANDS: list[click.Command] = [platform, keys_group]
