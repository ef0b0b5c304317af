"""The course's forum settings: staff read them, the instructor changes them. Each change is
validated (bounds per field, known anonymity modes, stored in one order without repeats) and
written to the moderation log with the old and new values."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from agora.errors import Forbidden, NotFound
from agora.sessions import Principal
from forum import rules
from forum.queries import moderation as mod_sql
from forum.queries import settings as settings_sql
from forum.schemas import ForumSettings, ForumSettingsRead, ForumSettingsUpdate
from forum.service.context import forum_settings, load_context


def settings_read(principal: Principal, settings: ForumSettings) -> ForumSettingsRead:
    return ForumSettingsRead(settings=settings, can_edit=rules.can_edit_forum_settings(principal))


async def get_settings(
    conn: asyncpg.Connection, principal: Principal, course_id: int
) -> ForumSettingsRead:
    ctx = await load_context(conn, principal, course_id)
    if not rules.can_see_forum_settings(principal):
        raise Forbidden("only instructors and teaching assistants see the forum settings")
    return settings_read(principal, ctx.settings)


def _changes(data: ForumSettingsUpdate) -> dict[str, Any]:
    changes = {
        name: getattr(data, name)
        for name in data.__struct_fields__
        if getattr(data, name) is not None
    }
    if "anonymity" in changes:
        # Stored in one order, without repeats, so the forms show them least anonymous first.
        changes["anonymity"] = [a for a in rules.ANONYMITY_ORDER if a in changes["anonymity"]]
    return changes


async def update_settings(
    conn: asyncpg.Connection, principal: Principal, course_id: int, data: ForumSettingsUpdate
) -> ForumSettingsRead:
    principal.require_course(course_id)
    if not rules.can_edit_forum_settings(principal):
        raise Forbidden("only instructors change the forum settings")
    found, stored = await settings_sql.select_forum_settings_for_update(conn, course_id)
    if not found:
        raise NotFound("no such course")
    current = forum_settings(stored)
    changes = _changes(data)
    updated = msgspec.structs.replace(current, **changes)
    before = msgspec.to_builtins(current)
    changed = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    if changed:
        await settings_sql.update_forum_settings(conn, course_id, msgspec.to_builtins(updated))
        await mod_sql.insert_mod_action(
            conn, course_id, principal.user_id, "settings_change", target_kind="course",
            target_id=course_id, reason="", details={"changed": changed},
        )  # fmt: skip
    return settings_read(principal, updated)
