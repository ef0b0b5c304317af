"""The peer-review API (collected by agora.app through agora.contexts): one module per
sub-domain, the same names as the service side, each handler a thin call into the service.

Every path id is a bounded agora.params.PathId (400 problem+json outside 1..2^63-1), list
routes take agora.params.Cursor and Limit, and course paths name their parameter `course_id`
so the principal dependency's course guard applies.
"""

from __future__ import annotations

from litestar.handlers import HTTPRouteHandler

from peerreview.http import (
    allocations,
    assignments,
    attachments,
    calibration,
    deadlines,
    grades,
    passback,
    regrades,
    review_quality,
    reviews,
    self_assessments,
    submissions,
)

ROUTES: list[HTTPRouteHandler] = [
    *assignments.ROUTES,
    *submissions.ROUTES,
    *attachments.ROUTES,
    *calibration.ROUTES,
    *allocations.ROUTES,
    *reviews.ROUTES,
    *grades.ROUTES,
    *regrades.ROUTES,
    *passback.ROUTES,
    *self_assessments.ROUTES,
    *deadlines.ROUTES,
    *review_quality.ROUTES,
]
