"""Server-rendered peer-review pages (collected by agora.app through agora.contexts), split by
audience; thin handlers over peerreview.service, which holds the rules.

- overview: the assignments list and the assignment page (learner page or staff dashboard),
  which are also what a launch shows;
- learner: submit, calibrate, review next, the grade page, helpfulness, regrade requests;
- staff: the editor with its rubric builder, phases, allocate/grade now, calibration examples;
- doubtful: the doubtful-grades queue and overrides;
- review_quality: every learner's review quality, worst first (staff);
- forms: reading the editor's and the scoring forms; urls: where the pages live.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router

from agora import web
from peerreview.pages import (
    deadlines,
    doubtful,
    learner,
    overview,
    review_quality,
    staff,
    teams,
)

web.register_templates("peerreview", Path(__file__).parent.parent / "templates")
web.register_target("assignment", overview.launch_target)

ROUTES: list[Router] = [
    web.page_router(
        *overview.ROUTES,
        *staff.ROUTES,
        *learner.ROUTES,
        *doubtful.ROUTES,
        *deadlines.ROUTES,
        *teams.ROUTES,
        *review_quality.ROUTES,
    )
]
