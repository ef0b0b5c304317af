"""SQL of assignments and their teams. An assignment row is read into the `Assignment` Struct."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
import msgspec


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    """One `pr_assignments` row. `rubric` is the stored JSON: criteria with their options."""

    id: int
    course_id: int
    title: str
    prompt: str
    prompt_html: str
    rubric: list[dict[str, Any]]
    points_possible: float
    reviews_per_submission: int
    reviews_required: int
    calibration_required: int
    phase: str
    submission_deadline: datetime | None
    review_deadline: datetime | None
    allocation_mode: str
    grading_method: str
    team_submissions: bool
    lease_seconds: int
    extra_reviews: int
    allocation_seed: int | None
    allocated_at: datetime | None
    graded_at: datetime | None
    released_at: datetime | None
    created_by: int
    created_at: datetime
    updated_at: datetime
    # the assessment steps and their weights in the grade (peerreview.steps)
    peer_review: bool = True
    self_assessment: bool = False
    peer_weight: float = 1.0
    self_weight: float = 0.0
    # the review-quality score's share of the grade, in percent (peerreview.review_quality)
    review_quality_weight: float = 0.0


def _assignment(row: asyncpg.Record | None) -> Assignment | None:
    return None if row is None else msgspec.convert(dict(row), Assignment)


async def insert_assignment(
    conn: asyncpg.Connection,
    course_id: int,
    *,
    title: str,
    prompt: str,
    prompt_html: str,
    rubric: list[dict[str, Any]],
    points_possible: float,
    reviews_per_submission: int,
    reviews_required: int,
    calibration_required: int,
    submission_deadline: datetime | None,
    review_deadline: datetime | None,
    allocation_mode: str,
    grading_method: str,
    team_submissions: bool,
    lease_seconds: int,
    extra_reviews: int,
    created_by: int,
    peer_review: bool = True,
    self_assessment: bool = False,
    peer_weight: float = 1.0,
    self_weight: float = 0.0,
    review_quality_weight: float = 0.0,
) -> Assignment:
    row = await conn.fetchrow(
        """INSERT INTO pr_assignments (course_id, title, prompt, prompt_html, rubric,
                points_possible, reviews_per_submission, reviews_required, calibration_required,
                submission_deadline, review_deadline, allocation_mode, grading_method,
                team_submissions, lease_seconds, extra_reviews, created_by, peer_review,
                self_assessment, peer_weight, self_weight, review_quality_weight)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                    $18, $19, $20, $21, $22)
            RETURNING id, course_id, title, prompt, prompt_html, rubric, points_possible,
                  reviews_per_submission, reviews_required, calibration_required, phase,
                  submission_deadline, review_deadline, allocation_mode, grading_method,
                  team_submissions, lease_seconds, extra_reviews, allocation_seed, allocated_at,
                  graded_at, released_at, created_by, created_at, updated_at,
                  peer_review, self_assessment, peer_weight, self_weight, review_quality_weight""",
        course_id,
        title,
        prompt,
        prompt_html,
        rubric,
        points_possible,
        reviews_per_submission,
        reviews_required,
        calibration_required,
        submission_deadline,
        review_deadline,
        allocation_mode,
        grading_method,
        team_submissions,
        lease_seconds,
        extra_reviews,
        created_by,
        peer_review,
        self_assessment,
        peer_weight,
        self_weight,
        review_quality_weight,
    )
    assignment = _assignment(row)
    assert assignment is not None  # INSERT … RETURNING always returns the row
    return assignment


SELECT_ASSIGNMENT = """
    SELECT id, course_id, title, prompt, prompt_html, rubric, points_possible,
           reviews_per_submission, reviews_required, calibration_required, phase,
           submission_deadline, review_deadline, allocation_mode, grading_method,
           team_submissions, lease_seconds, extra_reviews, allocation_seed, allocated_at,
           graded_at, released_at, created_by, created_at, updated_at,
                  peer_review, self_assessment, peer_weight, self_weight, review_quality_weight
      FROM pr_assignments WHERE course_id = $1 AND id = $2"""
# The same row, locked: phase changes, allocation and grading serialise on it.
SELECT_ASSIGNMENT_FOR_UPDATE = """
    SELECT id, course_id, title, prompt, prompt_html, rubric, points_possible,
           reviews_per_submission, reviews_required, calibration_required, phase,
           submission_deadline, review_deadline, allocation_mode, grading_method,
           team_submissions, lease_seconds, extra_reviews, allocation_seed, allocated_at,
           graded_at, released_at, created_by, created_at, updated_at,
                  peer_review, self_assessment, peer_weight, self_weight, review_quality_weight
      FROM pr_assignments WHERE course_id = $1 AND id = $2
       FOR UPDATE"""


async def select_assignment(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, *, for_update: bool = False
) -> Assignment | None:
    sql = SELECT_ASSIGNMENT_FOR_UPDATE if for_update else SELECT_ASSIGNMENT
    return _assignment(await conn.fetchrow(sql, course_id, assignment_id))


async def select_assignments(
    conn: asyncpg.Connection, course_id: int, *, after_id: int, limit: int, include_drafts: bool
) -> list[Assignment]:
    rows = await conn.fetch(
        """SELECT id, course_id, title, prompt, prompt_html, rubric, points_possible,
                  reviews_per_submission, reviews_required, calibration_required, phase,
                  submission_deadline, review_deadline, allocation_mode, grading_method,
                  team_submissions, lease_seconds, extra_reviews, allocation_seed, allocated_at,
                  graded_at, released_at, created_by, created_at, updated_at,
                  peer_review, self_assessment, peer_weight, self_weight, review_quality_weight
             FROM pr_assignments
            WHERE course_id = $1 AND id > $2 AND ($4 OR phase <> 'draft')
            ORDER BY id LIMIT $3""",
        course_id,
        after_id,
        limit,
        include_drafts,
    )
    return [msgspec.convert(dict(row), Assignment) for row in rows]


async def update_assignment(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, values: Mapping[str, Any]
) -> Assignment:
    """Set the given columns (names come from the AssignmentUpdate Struct, never from input)."""
    current = await select_assignment(conn, course_id, assignment_id)
    if current is None:
        raise LookupError(f"no assignment {assignment_id} in course {course_id}")
    merged = {**msgspec.structs.asdict(current), **values}
    row = await conn.fetchrow(
        """UPDATE pr_assignments SET title = $3, prompt = $4, prompt_html = $5, rubric = $6,
                points_possible = $7, reviews_per_submission = $8, reviews_required = $9,
                calibration_required = $10, submission_deadline = $11, review_deadline = $12,
                allocation_mode = $13, grading_method = $14, lease_seconds = $15,
                extra_reviews = $16, phase = $17, allocation_seed = $18, allocated_at = $19,
                graded_at = $20, released_at = $21, peer_review = $22, self_assessment = $23,
                peer_weight = $24, self_weight = $25, review_quality_weight = $26,
                team_submissions = $27, updated_at = now()
             WHERE course_id = $1 AND id = $2
         RETURNING id, course_id, title, prompt, prompt_html, rubric, points_possible,
                  reviews_per_submission, reviews_required, calibration_required, phase,
                  submission_deadline, review_deadline, allocation_mode, grading_method,
                  team_submissions, lease_seconds, extra_reviews, allocation_seed, allocated_at,
                  graded_at, released_at, created_by, created_at, updated_at,
                  peer_review, self_assessment, peer_weight, self_weight, review_quality_weight""",
        course_id,
        assignment_id,
        merged["title"],
        merged["prompt"],
        merged["prompt_html"],
        merged["rubric"],
        merged["points_possible"],
        merged["reviews_per_submission"],
        merged["reviews_required"],
        merged["calibration_required"],
        merged["submission_deadline"],
        merged["review_deadline"],
        merged["allocation_mode"],
        merged["grading_method"],
        merged["lease_seconds"],
        merged["extra_reviews"],
        merged["phase"],
        merged["allocation_seed"],
        merged["allocated_at"],
        merged["graded_at"],
        merged["released_at"],
        merged["peer_review"],
        merged["self_assessment"],
        merged["peer_weight"],
        merged["self_weight"],
        merged["review_quality_weight"],
        merged["team_submissions"],
    )
    updated = _assignment(row)
    assert updated is not None  # the row was just read in this transaction
    return updated


async def select_assignment_by_title(
    conn: asyncpg.Connection, course_id: int, title: str
) -> Assignment | None:
    row = await conn.fetchrow(
        """SELECT id, course_id, title, prompt, prompt_html, rubric, points_possible,
                  reviews_per_submission, reviews_required, calibration_required, phase,
                  submission_deadline, review_deadline, allocation_mode, grading_method,
                  team_submissions, lease_seconds, extra_reviews, allocation_seed, allocated_at,
                  graded_at, released_at, created_by, created_at, updated_at,
                  peer_review, self_assessment, peer_weight, self_weight, review_quality_weight
             FROM pr_assignments WHERE course_id = $1 AND title = $2
            ORDER BY id LIMIT 1""",
        course_id,
        title,
    )
    return _assignment(row)


# ---- teams ----------------------------------------------------------------------------------


async def replace_teams(
    conn: asyncpg.Connection,
    course_id: int,
    assignment_id: int,
    *,
    users: list[int],
    teams: list[str],
) -> None:
    """Replace the assignment's teams: `users[i]` joins team `teams[i]`."""
    await conn.execute(
        "DELETE FROM pr_team_members WHERE course_id = $1 AND assignment_id = $2",
        course_id,
        assignment_id,
    )
    await conn.execute(
        """INSERT INTO pr_team_members (course_id, assignment_id, user_id, team)
           SELECT $1, $2, u, t FROM unnest($3::bigint[], $4::text[]) AS x(u, t)""",
        course_id,
        assignment_id,
        users,
        teams,
    )


async def select_team(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, user_id: int
) -> str | None:
    team: str | None = await conn.fetchval(
        """SELECT team FROM pr_team_members
            WHERE course_id = $1 AND assignment_id = $2 AND user_id = $3""",
        course_id,
        assignment_id,
        user_id,
    )
    return team


async def select_team_members(
    conn: asyncpg.Connection, course_id: int, assignment_id: int, team: str
) -> list[int]:
    rows = await conn.fetch(
        """SELECT user_id FROM pr_team_members
            WHERE course_id = $1 AND assignment_id = $2 AND team = $3""",
        course_id,
        assignment_id,
        team,
    )
    return [r["user_id"] for r in rows]


async def select_learners(conn: asyncpg.Connection, course_id: int) -> list[int]:
    rows = await conn.fetch(
        """SELECT user_id FROM memberships
            WHERE course_id = $1 AND role = 'learner' AND active""",
        course_id,
    )
    return [r["user_id"] for r in rows]
