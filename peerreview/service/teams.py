"""Teams of a team assignment, set by staff on a page: the roster, and replacing every team at
once from a pasted list (as a spreadsheet exports it), one line per learner: `team, who`, where
who is the learner's email, LMS user id or exact name. A list with any line that names nobody,
names two people, or puts one learner in two teams changes nothing and says which lines. Or from
one of the LMS's group sets, where the LMS shares its groups (LTI Course Groups, read by the
roster sync): each group of the set becomes a team of its active learners."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
import msgspec

from agora.errors import Unprocessable
from agora.lti import groups as lms_groups
from agora.sessions import Principal
from peerreview import schemas as s
from peerreview.queries import teams as queries
from peerreview.service import assignments as assignments_service
from peerreview.service.common import load_assignment, require_instructor, require_staff

MAX_TEXT = 2_000_000  # characters of a pasted list (a 160,000-learner course fits)
MAX_ERRORS = 50  # lines reported back; the rest are counted
UNASSIGNED_SHOWN = 100
MAX_GROUP_SETS = 200
NAMES_SHOWN = 10


@dataclass
class Roster:
    teams: list[tuple[str, list[dict[str, object]]]]
    unassigned: int
    unassigned_sample: list[dict[str, object]]
    fixed: bool
    lms: LmsGroups


@dataclass
class LmsGroups:
    """The LMS's group sets, where it shares them: `offered` False when it does not."""

    offered: bool = False
    synced_at: datetime | None = None
    sets: list[dict[str, object]] = field(default_factory=list)


@dataclass
class ListProblems(Exception):
    """Lines of a pasted list that cannot be used, as (line number, reason)."""

    lines: list[tuple[int, str]] = field(default_factory=list)
    more: int = 0


async def roster(conn: asyncpg.Connection, principal: Principal, assignment_id: int) -> Roster:
    require_staff(principal)
    assignment = await load_assignment(conn, principal, assignment_id)
    teams: dict[str, list[dict[str, object]]] = {}
    for row in await queries.select_roster(conn, principal.course_id, assignment_id):
        teams.setdefault(row["team"], []).append(dict(row))
    total, sample = await queries.select_unassigned(
        conn, principal.course_id, assignment_id, UNASSIGNED_SHOWN
    )
    return Roster(
        teams=list(teams.items()), unassigned=total, unassigned_sample=[dict(r) for r in sample],
        fixed=assignment.allocated_at is not None, lms=await _lms_groups(conn, principal.course_id),
    )  # fmt: skip


async def _lms_groups(conn: asyncpg.Connection, course_id: int) -> LmsGroups:
    state = await queries.select_lms_groups_state(conn, course_id)
    if state is None or not state["offered"]:
        return LmsGroups()
    sets = await queries.select_lms_group_sets(conn, course_id, MAX_GROUP_SETS)
    return LmsGroups(True, state["groups_synced_at"], [dict(r) for r in sets])


def parse_lines(text: str, problems: ListProblems) -> list[tuple[int, str, str]]:
    """(line number, team, who) of each non-empty line; a header line 'team,…' is skipped and
    a line without both cells noted in `problems`."""
    if len(text) > MAX_TEXT:
        raise Unprocessable(f"the list is longer than {MAX_TEXT:,} characters")
    parsed = []
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() == "team":
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            _note(problems, number, "write the team, a comma, then the learner")
            continue
        parsed.append((number, cells[0], cells[1]))
    return parsed


def _note(problems: ListProblems, number: int, reason: str) -> None:
    if len(problems.lines) < MAX_ERRORS:
        problems.lines.append((number, reason))
    else:
        problems.more += 1


async def import_list(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, text: str
) -> dict[str, int]:
    """Replace the assignment's teams with the pasted list (instructors; before allocation)."""
    problems = ListProblems()
    lines = parse_lines(text, problems)
    found = await queries.select_named_learners(
        conn, principal.course_id, sorted({who for _, _, who in lines})
    )
    by_name: dict[str, set[int]] = {}
    for row in found:
        for key in (row["email"], row["sub"], row["name"]):
            if key:
                by_name.setdefault(key, set()).add(row["user_id"])
    teams: dict[str, list[int]] = {}
    placed: dict[int, int] = {}
    for number, team, who in lines:
        matches = by_name.get(who.lower(), set()) | by_name.get(who, set())
        if not matches:
            _note(problems, number, f"no learner of this course is “{who}”")
        elif len(matches) > 1:
            _note(problems, number, f"“{who}” names {len(matches)} learners: use their email")
        else:
            user_id = next(iter(matches))
            if user_id in placed:
                _note(problems, number, f"“{who}” is already in a team (line {placed[user_id]})")
                continue
            placed[user_id] = number
            teams.setdefault(team, []).append(user_id)
    if problems.lines:
        problems.lines.sort()
        raise problems
    try:  # the JSON API's limits on team names, checked the same way
        data = msgspec.convert({"teams": teams}, s.Teams)
    except msgspec.ValidationError as error:
        raise Unprocessable(f"a team name is not allowed: {error}") from None
    return await assignments_service.set_teams(conn, principal, assignment_id, data)


async def import_lms_groups(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, set_key: str
) -> dict[str, int]:
    """Replace the assignment's teams with the groups of one of the LMS's group sets
    (instructors; before allocation). A learner in two groups of the set changes nothing."""
    rows = await queries.select_lms_group_members(conn, principal.course_id, set_key[:255])
    if not rows:
        raise Unprocessable("this group set has no learners of this course")
    teams: dict[str, list[int]] = {}
    team_of: dict[str, str] = {}  # group key → team name (two groups may share a name)
    placed: set[int] = set()
    twice: list[str] = []
    for row in rows:
        team = team_of.get(row["group_key"])
        if team is None:
            team = _unused(row["team"], teams)
            team_of[row["group_key"]] = team
            teams[team] = []
        if row["user_id"] in placed:
            twice.append(row["name"] or str(row["user_id"]))
            continue
        placed.add(row["user_id"])
        teams[team].append(row["user_id"])
    if twice:
        shown = ", ".join(sorted(set(twice))[:NAMES_SHOWN])
        raise Unprocessable(
            f"{len(set(twice))} learners are in more than one group of this set ({shown}): "
            "fix the groups in the LMS, or choose another set"
        )
    try:
        data = msgspec.convert({"teams": teams}, s.Teams)
    except msgspec.ValidationError as error:
        raise Unprocessable(f"a group name cannot be a team name: {error}") from None
    return await assignments_service.set_teams(conn, principal, assignment_id, data)


def _unused(name: str, teams: dict[str, list[int]]) -> str:
    candidate, number = name, 2
    while candidate in teams:
        candidate, number = f"{name} ({number})", number + 1
    return candidate


async def refresh_lms_groups(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int
) -> bool:
    """Ask the LMS for its groups again now (instructors, who use them); False if it was asked
    a minute ago."""
    require_instructor(principal)
    await load_assignment(conn, principal, assignment_id)
    return await lms_groups.request_sync(conn, principal.course_id)
