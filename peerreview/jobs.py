"""arq jobs of this context (collected by agora.worker). They take ids and are safe to rerun."""

from __future__ import annotations

import logging
from typing import Any

from arq.worker import func

from peerreview.service.allocations import allocate_batch
from peerreview.service.grades import run_grading
from peerreview.service.passback import passback

log = logging.getLogger("agora.peerreview")


async def peerreview_allocate(
    ctx: dict[str, Any], course_id: int, assignment_id: int
) -> dict[str, int]:
    """Batch allocation at the review phase start (idempotent: allocated_at guards a rerun)."""
    async with ctx["db"].acquire() as conn, conn.transaction():
        run = await allocate_batch(conn, course_id, assignment_id)
    log.info("allocated assignment %s: %s reviews", assignment_id, run.allocations)
    return {"allocations": run.allocations, "seed": run.seed}


async def peerreview_grade(
    ctx: dict[str, Any], course_id: int, assignment_id: int
) -> dict[str, int]:
    """A grading run: recomputes every estimate (overrides and release state are kept)."""
    async with ctx["db"].acquire() as conn, conn.transaction():
        run = await run_grading(conn, course_id, assignment_id)
    return {"graded": run.graded, "doubtful": run.doubtful}


async def peerreview_passback(ctx: dict[str, Any], course_id: int, assignment_id: int) -> int:
    """Request AGS score passback for every released grade (idempotent per the LTI contract)."""
    async with ctx["db"].acquire() as conn, conn.transaction():
        return await passback(conn, course_id, assignment_id)


# Allocation and grading work on a whole assignment: long. Passback only records the scores to
# send (lti_publish_scores jobs send them, a batch each): minutes.
FUNCTIONS: list[Any] = [
    func(peerreview_allocate, name="peerreview_allocate", timeout=1800),
    func(peerreview_grade, name="peerreview_grade", timeout=1800),
    func(peerreview_passback, name="peerreview_passback", timeout=300, max_tries=5),
]
