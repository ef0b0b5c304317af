"""Courses as pages show them (title, label, language, settings), and who is a member."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec


class CourseView(msgspec.Struct, frozen=True):
    id: int
    title: str
    label: str
    language: str
    settings: dict[str, Any]


async def select_course(conn: asyncpg.Connection, course_id: int) -> CourseView | None:
    row = await conn.fetchrow(
        "SELECT id, title, label, language, settings FROM courses WHERE id = $1", course_id
    )
    return CourseView(**dict(row)) if row else None


async def select_member_role(conn: asyncpg.Connection, course_id: int, user_id: int) -> str | None:
    """The member's role in the course (None: not a member)."""
    role: str | None = await conn.fetchval(
        "SELECT role FROM memberships WHERE course_id = $1 AND user_id = $2", course_id, user_id
    )
    return role
