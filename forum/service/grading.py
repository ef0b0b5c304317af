"""Graded boards (issue 12.10): participation in a board as a grade in the LMS gradebook.

Instructors set a board's rule: 'count' (as Moodle's and Canvas's participation rules: full
points for at least N threads and M replies written in the window, in proportion below) or
'staff' (instructors and TAs give each learner a score, as Moodle's whole-forum grading). Scores
go to the LMS through the AGS contract (agora.lti.ags), line item `board-<id>`; a deep link to a
graded board carries that line item, so the LMS makes the gradebook column.

When scores are sent: a 'count' board's are recomputed by a sweep every few minutes while its
window is open (learners who wrote something) and once more after it closes (everyone, so a
learner who wrote nothing gets a 0 only when the chance to write is over); staff may send them
at once. A staff score is sent when it is given. Sending is idempotent: a score the LMS already
has is not sent again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from agora.errors import Forbidden, NotFound, Unprocessable
from agora.lti.ags import request_score_passback, request_score_passbacks
from agora.names import like_prefix
from agora.outbox import enqueue
from agora.pagination import decode_cursor, next_page, page_limit
from agora.sessions import Principal
from forum import rules
from forum.queries import boards as board_sql
from forum.queries import grading as grading_sql
from forum.queries import moderation as mod_sql
from forum.schemas import (
    BoardGradingRead,
    BoardGradingUpdate,
    BoardLearnerGrade,
    BoardLearnerGradePage,
    BoardProgress,
    BoardScoreUpdate,
)
from forum.service.context import load_context, require_staff

JOB = "forum_grade_board"


def resource_id(board_id: int) -> str:
    """The LTI line item of a graded board (deep linking names the same one)."""
    return f"board-{board_id}"


def grading_view(row: asyncpg.Record) -> BoardGradingRead:
    return BoardGradingRead(
        board_id=row["board_id"], board_name=row["board_name"], mode=row["mode"],
        points=row["points"], min_threads=row["min_threads"], min_replies=row["min_replies"],
        opens_at=row["opens_at"], closes_at=row["closes_at"],
        resource_id=resource_id(row["board_id"]),
    )  # fmt: skip


def count_score(rule: asyncpg.Record, threads: int, replies: int) -> float:
    """The 'count' rule's score (the SQL in grading_sql.select_count_scores computes the same)."""
    n: int = rule["min_threads"]
    m: int = rule["min_replies"]
    done = min(threads, n) + min(replies, m)
    return float(rule["points"]) * done / (n + m)


async def graded_points(conn: asyncpg.Connection, course_id: int) -> dict[int, float]:
    """Each graded board's points (deep linking gives those boards a line item)."""
    return await grading_sql.select_graded_points(conn, course_id)


async def _rule(conn: asyncpg.Connection, course_id: int, board_id: int) -> asyncpg.Record:
    rule = await grading_sql.select_rule(conn, course_id, board_id)
    if rule is None:
        raise NotFound("this board is not graded")
    return rule


async def _board(conn: asyncpg.Connection, course_id: int, board_id: int) -> None:
    if await board_sql.select_board(conn, course_id, board_id) is None:
        raise NotFound("no such board")


def _require_instructor(principal: Principal) -> None:
    if not rules.can_manage_boards(principal):
        raise Forbidden("only instructors set how a board is graded")


async def get_grading(
    conn: asyncpg.Connection, principal: Principal, course_id: int, board_id: int
) -> BoardGradingRead:
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    return grading_view(await _rule(conn, course_id, board_id))


async def set_grading(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    board_id: int,
    data: BoardGradingUpdate,
) -> BoardGradingRead:
    ctx = await load_context(conn, principal, course_id)
    ctx.require_write()
    _require_instructor(principal)
    await _board(conn, course_id, board_id)
    if data.mode == "count" and data.min_threads + data.min_replies == 0:
        raise Unprocessable("ask for at least one thread or one reply")
    for moment in (data.opens_at, data.closes_at):
        if moment is not None and moment.tzinfo is None:
            raise Unprocessable("give times with a time zone (e.g. 2026-09-01T00:00:00Z)")
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise Unprocessable("the window must close after it opens")
    rule = {
        "mode": data.mode, "points": data.points, "min_threads": data.min_threads,
        "min_replies": data.min_replies, "opens_at": data.opens_at, "closes_at": data.closes_at,
    }  # fmt: skip
    async with conn.transaction():
        await grading_sql.upsert_rule(conn, course_id, board_id, principal.user_id, rule)
        await mod_sql.insert_mod_action(
            conn, course_id, principal.user_id, "board_grading", target_kind="board",
            target_id=board_id, reason="", details={**rule, "opens_at": str(data.opens_at),
                                                     "closes_at": str(data.closes_at)},
        )  # fmt: skip
        await enqueue(conn, JOB, course_id, board_id, course_id=course_id)
    return grading_view(await _rule(conn, course_id, board_id))


async def remove_grading(
    conn: asyncpg.Connection, principal: Principal, course_id: int, board_id: int
) -> None:
    """The board stops being graded; scores already in the LMS stay there (the LMS owns them)."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_write()
    _require_instructor(principal)
    async with conn.transaction():
        if not await grading_sql.delete_rule(conn, course_id, board_id):
            raise NotFound("this board is not graded")
        await mod_sql.insert_mod_action(
            conn, course_id, principal.user_id, "board_grading", target_kind="board",
            target_id=board_id, reason="", details={"mode": "none"},
        )  # fmt: skip


async def progress(
    conn: asyncpg.Connection, principal: Principal, course_id: int, board_id: int
) -> BoardProgress | None:
    """The viewer's standing on a graded board, or None when the board is not graded."""
    rule = await grading_sql.select_rule(conn, course_id, board_id)
    if rule is None:
        return None
    counts = await grading_sql.select_counts(
        conn, course_id, board_id, rule["opens_at"], rule["closes_at"], principal.user_id
    )
    threads, replies = (counts["threads"], counts["replies"]) if counts else (0, 0)
    if rule["mode"] == "count":
        score: float | None = count_score(rule, threads, replies)
    else:
        score = await grading_sql.select_staff_score(conn, course_id, board_id, principal.user_id)
    return BoardProgress(grading=grading_view(rule), threads=threads, replies=replies, score=score)


async def learner_grades(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    board_id: int,
    cursor: str | None,
    limit: int | None,
    q: str | None = None,
) -> BoardLearnerGradePage:
    """Staff: every learner's counts and score, by user id, a page at a time; `q` the start of a
    name or email."""
    await load_context(conn, principal, course_id)  # the course exists, the viewer is in it
    require_staff(principal)
    rule = await _rule(conn, course_id, board_id)
    return await _learner_page(conn, course_id, rule, cursor, limit, q)


async def staff_view(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    board_id: int,
    cursor: str | None,
    q: str | None = None,
) -> tuple[BoardGradingRead, BoardLearnerGradePage] | None:
    """Staff: the board's rule and a page of its learners' grades (as get_grading and
    learner_grades), reading the rule once; None when the board is not graded."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_read()
    require_staff(principal)
    rule = await grading_sql.select_rule(conn, course_id, board_id)
    if rule is None:
        return None
    return grading_view(rule), await _learner_page(conn, course_id, rule, cursor, None, q)


async def _learner_page(
    conn: asyncpg.Connection,
    course_id: int,
    rule: asyncpg.Record,
    cursor: str | None,
    limit: int | None,
    q: str | None,
) -> BoardLearnerGradePage:
    limit = page_limit(limit, default=50, maximum=200)
    after = decode_cursor(cursor, (int,))
    rows = await grading_sql.select_learner_page(
        conn, course_id, rule["board_id"], rule, after_user_id=after[0] if after else 0,
        limit=limit + 1, name_prefix=like_prefix(q or ""),
    )  # fmt: skip
    page, next_cursor = next_page(rows, limit, lambda r: (r["user_id"],))
    items = []
    for r in page:
        score = count_score(rule, r["threads"], r["replies"]) if rule["mode"] == "count" else None
        items.append(
            BoardLearnerGrade(
                user_id=r["user_id"],
                name=r["name"],
                email=r["email"],
                threads=r["threads"],
                replies=r["replies"],
                score=r["score"] if score is None else score,
                comment=r["comment"] or "",
            )  # fmt: skip
        )
    return BoardLearnerGradePage(items=items, next_cursor=next_cursor)


async def give_score(
    conn: asyncpg.Connection,
    principal: Principal,
    course_id: int,
    board_id: int,
    user_id: int,
    data: BoardScoreUpdate,
) -> BoardLearnerGrade:
    """Staff grade one learner on a 'staff' board; the score goes to the LMS in the same
    transaction's outbox."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_write()
    require_staff(principal)
    rule = await _rule(conn, course_id, board_id)
    if rule["mode"] != "staff":
        raise Unprocessable("this board's scores are counted, not given")
    if data.score > rule["points"]:
        raise Unprocessable(f"the score is out of {rule['points']:g}")
    learner = await grading_sql.select_learner(conn, course_id, user_id)
    if learner is None:
        raise NotFound("no such learner in this course")
    async with conn.transaction():
        graded_at = await grading_sql.upsert_staff_score(
            conn, course_id, board_id, user_id, score=data.score, comment=data.comment,
            graded_by=principal.user_id,
        )  # fmt: skip
        await request_score_passback(
            conn, course_id=course_id, resource_id=resource_id(board_id),
            label=rule["board_name"], score_maximum=rule["points"], user_id=user_id,
            score_given=data.score, comment=data.comment, timestamp=graded_at,
        )  # fmt: skip
    counts = await grading_sql.select_counts(
        conn, course_id, board_id, rule["opens_at"], rule["closes_at"], user_id
    )
    return BoardLearnerGrade(
        user_id=user_id, name=learner["name"], email=learner["email"],
        threads=counts["threads"] if counts else 0, replies=counts["replies"] if counts else 0,
        score=data.score, comment=data.comment,
    )  # fmt: skip


async def send_now(
    conn: asyncpg.Connection, principal: Principal, course_id: int, board_id: int
) -> None:
    """Staff: recompute and send the board's scores now (through the outbox)."""
    ctx = await load_context(conn, principal, course_id)
    ctx.require_write()
    require_staff(principal)
    await _rule(conn, course_id, board_id)
    await enqueue(conn, JOB, course_id, board_id, course_id=course_id)


async def passback(conn: asyncpg.Connection, course_id: int, board_id: int) -> int:
    """The job: record the board's current scores for the LMS, set-based (one statement reads
    them, one records the changed ones and enqueues their AGS batches). Returns how many."""
    rule = await grading_sql.select_rule(conn, course_id, board_id)
    if rule is None:
        return 0
    now = datetime.now(UTC)
    if rule["mode"] == "count":
        if rule["opens_at"] is not None and rule["opens_at"] > now:
            return 0
        closed = rule["closes_at"] is not None and rule["closes_at"] <= now
        scores = await grading_sql.select_count_scores(
            conn, course_id, rule, everyone=closed, now=now, resource_id=resource_id(board_id)
        )
    else:
        scores = await grading_sql.select_staff_scores(conn, course_id, board_id)
    async with conn.transaction():
        await request_score_passbacks(
            conn, course_id=course_id, resource_id=resource_id(board_id),
            label=rule["board_name"], score_maximum=rule["points"], users=list(scores["users"]),
            scores=list(scores["scores"]), timestamps=list(scores["times"]),
        )  # fmt: skip
    return len(scores["users"])


async def sweep(conn: asyncpg.Connection) -> int:
    """The cron: enqueue the passback of every 'count' board whose window is open or just
    closed. Each board is its own job (one slow course does not hold up the others)."""
    boards = await grading_sql.select_open_count_boards(conn)
    async with conn.transaction():
        for board in boards:
            course_id = board["course_id"]
            await enqueue(conn, JOB, course_id, board["board_id"], course_id=course_id)
    return len(boards)
