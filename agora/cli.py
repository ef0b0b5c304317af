"""The `agora` command: serve, worker, migrate, demo, and the subcommands of each context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator

import click

from agora.settings import Settings, SettingsError, load_settings


@contextlib.contextmanager
def resolved_settings() -> Iterator[Settings]:
    """Settings with database and Redis URLs filled in, starting the embedded servers if needed.

    Every command of one data directory shares the same embedded servers; the process that
    started one stops it when it exits.
    """
    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(f"invalid setting: {error}") from None
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    # pgserver narrates every pg_ctl call at INFO; its warnings are what an operator needs.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    need_pg, need_redis = not settings.database_url, not settings.redis_url
    if not (need_pg or need_redis):
        yield settings
        return
    from agora.embedded import start_embedded

    servers = start_embedded(settings.data_path, postgres=need_pg, redis=need_redis)
    try:
        yield load_settings(
            database_url=settings.database_url or servers.database_url,
            redis_url=settings.redis_url or servers.redis_url,
        )
    finally:
        servers.stop()


def run_migrations(settings: Settings) -> None:
    """Apply pending migrations; in dev mode, then create the dev LMS's own tables."""
    from agora.db import MigrationError, migrate_url

    try:
        applied = asyncio.run(migrate_url(settings.database_url))
    except MigrationError as error:
        raise click.ClickException(f"migration failed, schema left as before it: {error}") from None
    for name in applied:
        click.echo(f"applied migration {name}")
    if settings.dev:
        from agora.devlms.schema import create_schema_url

        asyncio.run(create_schema_url(settings.database_url))


@click.group()
def main() -> None:
    """Agora: course forums and calibrated peer review for MOOCs, embedded through LTI 1.3."""


@main.command()
def migrate() -> None:
    """Apply pending migrations (safe to run from several processes at once)."""
    with resolved_settings() as settings:
        run_migrations(settings)
        click.echo("schema is up to date")


@main.command()
def demo() -> None:
    """Seed the demo course (idempotent)."""
    from agora.demo import seed_demo_url

    with resolved_settings() as settings:
        run_migrations(settings)
        summary = asyncio.run(seed_demo_url(settings))
        click.echo(summary)


@main.command()
@click.option("--worker/--no-worker", default=False, help="Also run the job worker (one process).")
@click.option("--demo/--no-demo", "seed", default=False, help="Seed the demo course first.")
@click.option(
    "--processes",
    "--workers",
    "processes",
    type=click.IntRange(0, 256),
    default=None,
    help="HTTP processes (default AGORA_PROCESSES; 0: one per CPU, one in dev mode).",
)
def serve(worker: bool, seed: bool, processes: int | None) -> None:
    """Serve the HTTP app (migrating first) on one process per CPU."""
    from agora.serve import process_count, serve_app

    with resolved_settings() as settings:
        run_migrations(settings)
        if seed:
            from agora.demo import seed_demo_url

            click.echo(asyncio.run(seed_demo_url(settings)))
        count = process_count(settings, processes)
        _print_welcome(settings, count)
        serve_app(settings, processes=count, with_worker=worker)
        click.echo("Agora stopped.", err=True)


def _print_welcome(settings: Settings, processes: int) -> None:
    base = settings.base_url
    plural = "es" if processes > 1 else ""
    lines = [f"Agora is serving on {base} ({processes} HTTP process{plural})"]
    if settings.dev:
        lines.append(f"  Try it as learner, TA or instructor:  {base}/dev/lms")
    lines += [
        f"  API docs:                             {base}/schema",
        f"  Readiness:                            {base}/ready",
        "  Stop with Ctrl-C (the embedded PostgreSQL and Redis stop with it; data stays in "
        f"{settings.data_path}).",
    ]
    click.echo("\n".join(lines), err=True)


@main.command()
def worker() -> None:
    """Run the job worker (notifications, grade passback, allocation, grading, outbox relay)."""
    from agora.worker import build_worker

    with resolved_settings() as settings:
        run_migrations(settings)
        build_worker(settings).run()


def _register_context_commands() -> None:
    """Each context may add commands: the COMMANDS list of its cli module."""
    from agora.contexts import collect

    for command in collect("cli", "COMMANDS"):
        main.add_command(command)


_register_context_commands()

if __name__ == "__main__":
    sys.exit(main())
