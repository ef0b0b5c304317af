"""Grading the graders in Chromium: after a peer-reviewed assignment is released, a learner's
grade page shows their review-quality score with its explanation, that it counts for the share
the instructor set, and the helpfulness rating an author gave one of their reviews. The set-up
goes through the JSON API (what the pages call); the pages are what is checked."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import expect

from tests.e2e.conftest import Problems, check_accessibility, demo_session, launch

RUBRIC = [
    {"name": "Accuracy", "options": [{"label": "Wrong", "points": 0},
                                     {"label": "Partly", "points": 2},
                                     {"label": "Right", "points": 4}]},
    {"name": "Clarity", "options": [{"label": "Unclear", "points": 0},
                                    {"label": "Clear", "points": 2}]},
]  # fmt: skip


async def call(client, method: str, path: str, token: str, **kwargs):
    response = await client.request(
        method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )
    assert response.status_code < 300, (path, response.status_code, response.text)
    return response.json()


async def test_a_learner_reads_their_review_quality_on_the_grade_page(server, context):
    problems = Problems()
    problems.watch(context)
    teacher, course_id = await demo_session(server, "dev-instructor")
    subs = ["dev-learner-1", "dev-learner-2", "dev-learner-3", "dev-learner-4"]
    tokens = {sub: (await demo_session(server, sub))[0] for sub in subs}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as client:
        a = await call(client, "POST", f"/api/v1/courses/{course_id}/assignments", teacher, json={
            "title": "Essay: the carbon cycle (review quality)", "prompt": "Explain one sink.",
            "rubric": RUBRIC, "reviews_per_submission": 2, "reviews_required": 2,
            "allocation_mode": "dynamic", "review_quality_weight": 20,
        })  # fmt: skip
        aid = a["id"]
        phase = f"/api/v1/assignments/{aid}/phase"
        await call(client, "POST", phase, teacher, json={"phase": "submission"})
        own = {}
        for sub in subs:
            body = {"body": f"Oceans absorb CO2 ({sub})."}
            made = await call(
                client, "POST", f"/api/v1/assignments/{aid}/submissions", tokens[sub], json=body
            )
            own[sub] = made["id"]
        await call(client, "POST", phase, teacher, json={"phase": "review"})
        for sub in subs:  # dev-learner-1 gives everything the lowest score
            for _ in range(2):
                task = await call(client, "GET", f"/api/v1/assignments/{aid}/reviews/next",
                                  tokens[sub])  # fmt: skip
                choices = [0, 0] if sub == "dev-learner-1" else [2, 1]
                await call(client, "POST", f"/api/v1/assignments/{aid}/reviews", tokens[sub],
                           json={"allocation_id": task["allocation_id"], "choices": choices,
                                 "comment": "The sink is named and explained."})  # fmt: skip
        await call(client, "POST", phase, teacher, json={"phase": "grading"})
        for _ in range(60):  # the worker grades
            grades = await call(client, "GET", f"/api/v1/assignments/{aid}/grades", teacher)
            if len(grades["items"]) == len(subs):
                break
            await asyncio.sleep(0.5)
        assert len(grades["items"]) == len(subs)
        await call(client, "POST", phase, teacher, json={"phase": "released"})
        # dev-learner-3 rates the first review of their work: its reviewer will read it
        received = await call(client, "GET", f"/api/v1/submissions/{own['dev-learner-3']}/reviews",
                              tokens["dev-learner-3"])  # fmt: skip
        rated = received["items"][0]["id"]
        await call(client, "POST", f"/api/v1/reviews/{rated}/helpfulness",
                   tokens["dev-learner-3"], json={"rating": 5})  # fmt: skip
        reviewer = ""
        for sub in subs:  # whoever wrote it finds the rating among their feedback
            mine = await call(client, "GET", f"/api/v1/assignments/{aid}/review-quality",
                              tokens[sub])  # fmt: skip
            if any(f["review_id"] == rated for f in mine["feedback"]):
                reviewer = sub
        assert reviewer and reviewer != "dev-learner-3"
        for _ in range(60):  # the worker rescores the reviewers with the new rating
            mine = await call(client, "GET", f"/api/v1/assignments/{aid}/review-quality",
                              tokens[reviewer])  # fmt: skip
            if mine["n_rated"]:
                break
            await asyncio.sleep(0.5)
        assert mine["n_rated"] == 1 and mine["mean_rating"] == 5

    page = await launch(
        context, server, tokens[reviewer], f"/ui/courses/{course_id}/assignments/{aid}/grade"
    )
    section = page.locator("[data-review-quality]")
    await expect(section.get_by_role("heading", name="Quality of your reviews")).to_be_visible()
    await expect(section.locator("[data-review-quality-score]")).to_contain_text("/ 100")
    await expect(section.get_by_text("Agreement with the final grades")).to_be_visible()
    await expect(
        section.get_by_text("Review quality counts for 20% of your grade.")
    ).to_be_visible()
    await expect(section.get_by_text("Rated 5 / 5 for helpfulness")).to_be_visible()
    await expect(section.get_by_text("Helpfulness: ")).to_contain_text("5.0 / 5 on average")
    await check_accessibility(page, "review-quality-grade")
    await page.close()
    assert problems.seen == [], problems.seen
