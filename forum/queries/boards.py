"""Boards (a course's categories), with per-viewer thread and unread counts."""

from __future__ import annotations

from functools import lru_cache

import asyncpg

from agora import i18n

# The default board's name and description, translated in the catalogues (agora/locale).
DEFAULT_BOARD = ("General", "Questions and discussion about the course")


@lru_cache(maxsize=1)
def default_board_texts() -> dict[str, list[str]]:
    """{language: [name, description]} for every language Agora speaks."""
    return {
        language: [i18n.translations(language).gettext(text) for text in DEFAULT_BOARD]
        for language in i18n.SUPPORTED
    }


async def insert_default_board(conn: asyncpg.Connection, course_id: int) -> None:
    """The course's default board, unless it has one, named in the course's language."""
    await conn.execute(
        """INSERT INTO forum_boards (course_id, name, description, is_default)
           SELECT c.id,
                  coalesce($2::jsonb -> c.language ->> 0, $2::jsonb -> $3::text ->> 0),
                  coalesce($2::jsonb -> c.language ->> 1, $2::jsonb -> $3::text ->> 1),
                  true
             FROM courses c
            WHERE c.id = $1
              AND NOT EXISTS (SELECT 1 FROM forum_boards WHERE course_id = $1 AND is_default)
           ON CONFLICT DO NOTHING""",
        course_id,
        default_board_texts(),
        i18n.DEFAULT,
    )


async def select_boards(
    conn: asyncpg.Connection, course_id: int, user_id: int, *, staff: bool, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT b.id, b.name, b.description, b.position, b.is_default, b.archived,
                  (SELECT count(*) FROM forum_threads t
                    WHERE t.course_id = b.course_id AND t.board_id = b.id AND NOT t.deleted
                      AND ($3 OR NOT t.hidden)
                      AND ($3 OR t.private_to IS NULL OR t.private_to = $2)) AS thread_count,
                  (SELECT count(*) FROM forum_threads t
                     LEFT JOIN forum_reads r ON r.course_id = t.course_id AND r.user_id = $2
                                            AND r.thread_id = t.id
                    WHERE t.course_id = b.course_id AND t.board_id = b.id AND NOT t.deleted
                      AND ($3 OR NOT t.hidden)
                      AND ($3 OR t.private_to IS NULL OR t.private_to = $2)
                      AND t.last_seq > coalesce(r.read_seq, 0)) AS unread_threads,
                  EXISTS (SELECT 1 FROM forum_follows f
                           WHERE f.course_id = b.course_id AND f.user_id = $2
                             AND f.target_kind = 'board' AND f.target_id = b.id) AS following,
                  EXISTS (SELECT 1 FROM forum_board_grading g
                           WHERE g.course_id = b.course_id AND g.board_id = b.id) AS graded
             FROM forum_boards b
            WHERE b.course_id = $1 AND ($3 OR NOT b.archived)
            ORDER BY b.position, b.id LIMIT $4""",
        course_id,
        user_id,
        staff,
        limit,
    )


async def count_boards(conn: asyncpg.Connection, course_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM forum_boards WHERE course_id = $1", course_id
    )
    return count


async def select_board(
    conn: asyncpg.Connection, course_id: int, board_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, name, description, position, is_default, archived, created_at
             FROM forum_boards WHERE course_id = $1 AND id = $2""",
        course_id,
        board_id,
    )


async def select_default_board_id(conn: asyncpg.Connection, course_id: int) -> int | None:
    board_id: int | None = await conn.fetchval(
        "SELECT id FROM forum_boards WHERE course_id = $1 AND is_default", course_id
    )
    return board_id


async def insert_board(
    conn: asyncpg.Connection, course_id: int, *, name: str, description: str, position: int
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO forum_boards (course_id, name, description, position)
           VALUES ($1, $2, $3, $4)
        RETURNING id, name, description, position, is_default, archived, created_at""",
        course_id,
        name,
        description,
        position,
    )
    assert row is not None  # INSERT ... RETURNING always returns the row
    return row


async def update_board(
    conn: asyncpg.Connection,
    course_id: int,
    board_id: int,
    *,
    name: str | None,
    description: str | None,
    position: int | None,
    archived: bool | None,
) -> asyncpg.Record | None:
    """Change the fields given (None leaves a field as it is)."""
    return await conn.fetchrow(
        """UPDATE forum_boards
              SET name = coalesce($3, name), description = coalesce($4, description),
                  position = coalesce($5, position), archived = coalesce($6, archived)
            WHERE course_id = $1 AND id = $2
        RETURNING id, name, description, position, is_default, archived, created_at""",
        course_id,
        board_id,
        name,
        description,
        position,
        archived,
    )


async def select_board_order(conn: asyncpg.Connection, course_id: int) -> list[int]:
    """The course's board ids as they are listed (position, then age)."""
    rows = await conn.fetch(
        """SELECT id FROM forum_boards WHERE course_id = $1 ORDER BY position, id FOR UPDATE""",
        course_id,
    )
    return [r["id"] for r in rows]


async def update_board_positions(
    conn: asyncpg.Connection, course_id: int, board_ids: list[int]
) -> None:
    """Number the boards 0, 1, 2... in the order given, in one statement."""
    await conn.execute(
        """UPDATE forum_boards b SET position = x.position - 1
             FROM unnest($2::bigint[]) WITH ORDINALITY AS x(id, position)
            WHERE b.course_id = $1 AND b.id = x.id AND b.position <> x.position - 1""",
        course_id,
        board_ids,
    )
