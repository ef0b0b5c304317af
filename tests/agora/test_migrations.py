import asyncio
import importlib.resources
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

import agora
from agora.db import MIGRATIONS_DIR, MigrationError, discover_migrations, migrate
from tests.conftest import _with_database


@pytest.fixture
async def empty_database(admin_url):
    """A database of its own (migration tests need DDL outside the shared test transaction)."""
    name = f"agora_mig_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(admin_url, name)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


def write(directory, name, sql):
    (directory / name).write_text(sql)


async def tables(connection) -> set[str]:
    rows = await connection.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    return {r["table_name"] for r in rows}


async def test_migrations_apply_in_numeric_order_and_are_recorded(empty_database, tmp_path):
    write(tmp_path, "0002_second.sql", "ALTER TABLE a ADD COLUMN b int;")
    write(tmp_path, "0001_first.sql", "CREATE TABLE a (id int);")
    connection = await asyncpg.connect(empty_database)
    try:
        assert await migrate(connection, tmp_path) == ["0001_first.sql", "0002_second.sql"]
        rows = await connection.fetch("SELECT version, name FROM schema_migrations ORDER BY 1")
        assert [(r["version"], r["name"]) for r in rows] == [
            (1, "0001_first.sql"),
            (2, "0002_second.sql"),
        ]
    finally:
        await connection.close()


async def test_running_migrations_again_applies_nothing(empty_database, tmp_path):
    write(tmp_path, "0001_first.sql", "CREATE TABLE a (id int);")
    connection = await asyncpg.connect(empty_database)
    try:
        await migrate(connection, tmp_path)
        assert await migrate(connection, tmp_path) == []
        write(tmp_path, "0002_more.sql", "CREATE TABLE b (id int);")
        assert await migrate(connection, tmp_path) == ["0002_more.sql"]
    finally:
        await connection.close()


async def test_failed_migration_leaves_schema_as_before_and_names_the_file(
    empty_database, tmp_path
):
    write(tmp_path, "0001_ok.sql", "CREATE TABLE a (id int);")
    write(tmp_path, "0002_broken.sql", "CREATE TABLE half (id int);\nSELECT * FROM nowhere;")
    connection = await asyncpg.connect(empty_database)
    try:
        with pytest.raises(MigrationError) as raised:
            await migrate(connection, tmp_path)
        assert "0002_broken.sql" in str(raised.value)
        assert "nowhere" in str(raised.value)
        assert await tables(connection) == {"a", "schema_migrations"}
        versions = await connection.fetch("SELECT version FROM schema_migrations")
        assert [r["version"] for r in versions] == [1]
    finally:
        await connection.close()


async def test_concurrent_starters_apply_each_migration_once(empty_database, tmp_path):
    # pg_sleep makes the first migration slow so both runners are inside migrate() together.
    write(tmp_path, "0001_slow.sql", "SELECT pg_sleep(0.5); CREATE TABLE a (id int);")
    write(tmp_path, "0002_next.sql", "CREATE TABLE b (id int);")
    first, second = await asyncpg.connect(empty_database), await asyncpg.connect(empty_database)
    try:
        applied = await asyncio.gather(migrate(first, tmp_path), migrate(second, tmp_path))
        assert sorted(applied, key=len) == [[], ["0001_slow.sql", "0002_next.sql"]]
        assert await first.fetchval("SELECT count(*) FROM schema_migrations") == 2
    finally:
        await first.close()
        await second.close()


def test_migration_files_must_be_numbered(tmp_path):
    write(tmp_path, "create_things.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_words.sql"):
        discover_migrations(tmp_path)


def test_project_migrations_have_a_why_header():
    for migration in discover_migrations():
        assert migration.sql.lstrip().startswith("-- Why:"), migration.name


def test_migrations_ship_inside_the_agora_package():
    shipped = importlib.resources.files("agora").joinpath("migrations")
    names = sorted(entry.name for entry in shipped.iterdir() if entry.name.endswith(".sql"))
    assert MIGRATIONS_DIR == Path(agora.__file__).resolve().parent / "migrations"
    assert names == [m.name for m in discover_migrations()]
    assert len(names) >= 5


def test_an_installed_package_finds_its_migrations_without_the_source_tree(tmp_path):
    """The package alone, as a wheel installs it, away from the repository root."""
    site = tmp_path / "site"
    shutil.copytree(
        Path(agora.__file__).resolve().parent,
        site / "agora",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    probe = "import agora.db as db; print(db.MIGRATIONS_DIR); print(len(db.discover_migrations()))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    directory, count = result.stdout.split()
    assert Path(directory) == site / "agora" / "migrations"
    assert int(count) == len(discover_migrations())


async def test_the_production_schema_has_no_dev_lms_tables(conn):
    # The test database is migrated like production; the dev LMS adds its own tables only in dev.
    found = await conn.fetchval(
        """SELECT count(*) FROM information_schema.tables
            WHERE table_schema = 'public' AND table_name LIKE 'devlms%'"""
    )
    assert found == 0


# Tables looked up without a course (small, global; reference tables under Citus).
GLOBAL_TABLES = {
    "schema_migrations",
    "platforms",
    "deployments",
    "courses",
    "users",
    "sessions",
    "outbox",
}


async def test_course_scoped_tables_follow_the_citus_rule(conn):
    """Every table with course_id has it in its primary key, unique constraints and FKs."""
    rows = await conn.fetch(
        """SELECT c.relname AS table_name, con.conname, con.contype::text AS contype,
                  ARRAY(SELECT a.attname FROM unnest(con.conkey) k
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k)
                    AS columns,
                  EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'course_id' AND NOT a.attisdropped) AS has_course
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
             LEFT JOIN pg_constraint con ON con.conrelid = c.oid AND con.contype IN ('p','u','f')
            WHERE c.relkind IN ('r', 'p')"""
    )
    problems = []
    scoped = {r["table_name"] for r in rows if r["has_course"]} - GLOBAL_TABLES
    assert {"memberships"} <= scoped
    for row in rows:
        if row["table_name"] not in scoped or row["conname"] is None:
            continue
        if row["contype"] == "f" and "user_id" in row["columns"] and len(row["columns"]) == 1:
            continue  # a reference to a global table (users)
        if row["contype"] == "f" and row["columns"] == ["course_id"]:
            continue  # the reference to the tenant itself
        if "course_id" not in row["columns"]:
            problems.append(f"{row['table_name']}.{row['conname']} {row['columns']}")
    primary = {r["table_name"] for r in rows if r["contype"] == "p"}
    problems += [f"{t} has no primary key" for t in scoped - primary]
    assert problems == []


async def test_0011_decodes_the_text_the_old_clean_text_stored_escaped(empty_database, tmp_path):
    """Titles, names and rubric labels stored as "Is 3 &lt; 5 &amp; 7" read as typed after 0011;
    a typed entity ("&amp;lt;" in storage) comes back as the entity, not as a tag."""
    for migration in discover_migrations(MIGRATIONS_DIR):
        if migration.version < 11:
            shutil.copy(MIGRATIONS_DIR / migration.name, tmp_path / migration.name)
    connection = await asyncpg.connect(empty_database)
    try:
        await migrate(connection, tmp_path)
        platform = await connection.fetchval(
            "INSERT INTO platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url)"
            " VALUES ('https://lms', 'c', 'https://lms/a', 'https://lms/t', 'https://lms/k')"
            " RETURNING id"
        )
        course = await connection.fetchval(
            "INSERT INTO courses (platform_id, deployment_id, context_id, title)"
            " VALUES ($1, 'd', 'ctx', 'Maths &amp; Physics') RETURNING id",
            platform,
        )
        await connection.execute(
            "INSERT INTO users (platform_id, sub, name) VALUES ($1, 's', 'Smith &amp; Jones')",
            platform,
        )
        await connection.execute(
            "INSERT INTO forum_boards (course_id, name, description)"
            " VALUES ($1, 'Q&amp;A', 'write &amp;lt;b&amp;gt; to show &lt;b&gt;')",
            course,
        )
        await connection.execute(
            "INSERT INTO forum_threads (course_id, board_id, author_id, kind, title)"
            " VALUES ($1, 1, 1, 'question', 'Is 3 &lt; 5 &amp; 7')",
            course,
        )
        await connection.execute(
            "INSERT INTO pr_assignments (course_id, title, rubric, points_possible,"
            " reviews_per_submission, reviews_required, created_by)"
            " VALUES ($1, 'Essay &amp; proof', $2::jsonb, 10, 3, 3, 1)",
            course,
            '[{"name": "Clarity &amp; style", "options": [{"label": "&lt;ok&gt;", "points": 1}]}]',
        )
        shutil.copy(MIGRATIONS_DIR / "0011_decode_stored_text.sql", tmp_path)
        assert await migrate(connection, tmp_path) == ["0011_decode_stored_text.sql"]

        assert await connection.fetchval("SELECT title FROM courses") == "Maths & Physics"
        assert await connection.fetchval("SELECT name FROM users") == "Smith & Jones"
        board = await connection.fetchrow("SELECT name, description FROM forum_boards")
        assert board["name"] == "Q&A"
        assert board["description"] == "write &lt;b&gt; to show <b>"
        assert await connection.fetchval("SELECT title FROM forum_threads") == "Is 3 < 5 & 7"
        assignment = await connection.fetchrow("SELECT title, rubric FROM pr_assignments")
        assert assignment["title"] == "Essay & proof"
        assert '"Clarity & style"' in assignment["rubric"]
        assert '"<ok>"' in assignment["rubric"]
    finally:
        await connection.close()
