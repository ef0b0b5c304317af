"""Submissions: a learner's (or team's) work, created or replaced while submissions are open, and
who may see it (staff, the owner, or a reviewer it is allocated to, who never sees the author)."""

from __future__ import annotations

import asyncpg

from agora import remote_images
from agora.errors import Forbidden, NotFound
from agora.pagination import decode_cursor, next_page
from agora.sessions import Principal
from peerreview import rules
from peerreview import schemas as s
from peerreview.queries import allocations as allocation_queries
from peerreview.queries import assignments as assignment_queries
from peerreview.queries import submissions as queries
from peerreview.rules import SubmissionAccess
from peerreview.service import extensions
from peerreview.service.common import list_limit, load_assignment, my_owner_key


def submission_read(
    row: asyncpg.Record, *, show_author: bool, show_source: bool
) -> s.SubmissionRead:
    return s.SubmissionRead(
        id=row["id"],
        assignment_id=row["assignment_id"],
        author_id=row["author_id"] if show_author else None,
        team=row["team"] if show_author else None,
        body_html=row["body_html"],
        body=row["body"] if show_source else None,
        reviews_done=row["reviews_done"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def submission_read_for(row: asyncpg.Record, access: SubmissionAccess) -> s.SubmissionRead:
    return submission_read(
        row, show_author=rules.can_see_author(access), show_source=rules.can_see_source(access)
    )


async def submit(
    conn: asyncpg.Connection, principal: Principal, assignment_id: int, data: s.SubmissionWrite
) -> tuple[s.SubmissionRead, bool]:
    """Create or replace the learner's (or team's) submission while submissions are open;
    True when it was created.

    Self-paced (dynamic) assignments keep accepting work during the review phase, so late
    submitters join the pool and get reviewed."""
    assignment = await load_assignment(conn, principal, assignment_id)
    if principal.is_staff:
        raise Forbidden("staff do not submit; add calibration examples instead")
    # The learner's due date (an extension), the grace period and late work (issue 13.3).
    await extensions.check_can_submit(conn, principal, assignment)
    key, team = await my_owner_key(conn, principal, assignment)
    saved = await queries.upsert_submission(
        conn,
        principal.course_id,
        assignment_id,
        owner_key=key,
        author_id=principal.user_id,
        team=team if assignment.team_submissions else None,
        body=data.body,
        body_html=await remote_images.rendered(conn, data.body),
    )
    return submission_read_for(saved, "owner"), saved["created"]


async def submission_access(
    conn: asyncpg.Connection, principal: Principal, sub: asyncpg.Record
) -> SubmissionAccess:
    """The viewer's access to the submission (rules.submission_access), or 404. Asks the
    database only what the decision still needs."""
    course_id = principal.course_id
    viewer_team = None
    others_team_work = sub["author_id"] != principal.user_id and sub["team"] is not None
    if not principal.is_staff and others_team_work:
        viewer_team = await assignment_queries.select_team(
            conn, course_id, sub["assignment_id"], principal.user_id
        )

    def decide(allocated: bool) -> SubmissionAccess | None:
        return rules.submission_access(
            principal,
            author_id=sub["author_id"],
            team=sub["team"],
            viewer_team=viewer_team,
            allocated_to_viewer=allocated,
        )

    access = decide(False) or decide(
        await allocation_queries.is_allocated(conn, course_id, sub["id"], principal.user_id)
    )
    if access is None:
        raise NotFound("no such submission")
    return access


async def get_submission(
    conn: asyncpg.Connection, principal: Principal, submission_id: int
) -> s.SubmissionRead:
    sub = await queries.select_submission(conn, principal.course_id, submission_id)
    if sub is None:
        raise NotFound("no such submission")
    await load_assignment(conn, principal, sub["assignment_id"])
    return submission_read_for(sub, await submission_access(conn, principal, sub))


async def list_submissions(
    conn: asyncpg.Connection,
    principal: Principal,
    assignment_id: int,
    cursor: str | None = None,
    limit: int | None = None,
) -> s.SubmissionList:
    """Staff: every submission, keyset by id. Learners: their own (or their team's), if any."""
    assignment = await load_assignment(conn, principal, assignment_id)
    if not rules.can_supervise(principal):
        key, _ = await my_owner_key(conn, principal, assignment)
        mine = await queries.select_submission_of_owner(
            conn, principal.course_id, assignment_id, key
        )
        items = [submission_read_for(mine, "owner")] if mine else []
        return s.SubmissionList(items=items, next_cursor=None)
    limit = list_limit(limit)
    after = decode_cursor(cursor, (int,))
    rows = await queries.select_submissions(
        conn,
        principal.course_id,
        assignment_id,
        after_id=after[0] if after else 0,
        limit=limit + 1,
    )
    page, next_cursor = next_page(rows, limit, lambda r: (r["id"],))
    # staff see who wrote each, not the source (the owner's to edit)
    items = [submission_read(r, show_author=True, show_source=False) for r in page]
    return s.SubmissionList(items=items, next_cursor=next_cursor)
