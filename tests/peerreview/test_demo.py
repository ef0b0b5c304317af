from agora.sessions import Principal
from peerreview import demo
from peerreview import schemas as s
from peerreview.service.allocations import next_review
from peerreview.service.calibration import answer_calibration
from peerreview.service.grades import run_grading
from peerreview.service.reviews import create_review
from peerreview.service.submissions import submit
from tests.conftest import create_course


async def test_demo_seed_is_idempotent_and_ready_for_reviewing(conn):
    course = await create_course(
        conn,
        people=[("dev-instructor", "instructor")]
        + [(f"dev-learner-{i}", "learner") for i in range(1, 5)],
    )
    people = {key: m.user_id for key, m in course.members.items()}
    await demo.seed(conn, course.id, people)
    await demo.seed(conn, course.id, people)
    rows = await conn.fetch("SELECT id, phase FROM pr_assignments WHERE course_id = $1", course.id)
    assert len(rows) == 1 and rows[0]["phase"] == "review"
    examples = await conn.fetchval(
        "SELECT count(*) FROM pr_calibration_examples WHERE course_id = $1", course.id
    )
    submissions = await conn.fetchval(
        "SELECT count(*) FROM pr_submissions WHERE course_id = $1", course.id
    )
    assert (examples, submissions) == (2, 2)


async def test_demo_learners_reviewing_each_other_leave_not_every_grade_doubtful(conn):
    # the walk through the demo: four learners calibrate, submit and review two essays
    # each, reviewers a notch apart at most; all four grades used to go to the doubtful queue
    # (an sd above 6% of the scale, which every grade of so small a course has). Who reviews
    # whom is random (ties in dynamic allocation), so one grade may still stand out.
    course = await create_course(
        conn,
        people=[("dev-instructor", "instructor")]
        + [(f"dev-learner-{i}", "learner") for i in range(1, 5)],
    )
    people = {key: m.user_id for key, m in course.members.items()}
    await demo.seed(conn, course.id, people)
    aid = await conn.fetchval("SELECT id FROM pr_assignments WHERE course_id = $1", course.id)
    example = await conn.fetchval(
        "SELECT min(id) FROM pr_calibration_examples WHERE course_id = $1", course.id
    )
    learner = {
        i: Principal(user_id=people[f"dev-learner-{i}"], course_id=course.id, role="learner")
        for i in range(1, 5)
    }
    for i in (1, 4):
        await submit(conn, learner[i], aid, s.SubmissionWrite(body=f"Essay {i}: ice-albedo."))
    for i in range(1, 5):
        await answer_calibration(conn, learner[i], aid, s.CalibrationAnswer(
            example_id=example, choices=[3, 2 - i % 2]))  # fmt: skip
    given: dict[int, list[list[int]]] = {}  # per essay: two reviews a notch apart at most
    for i in range(1, 5):
        for _ in range(2):
            task = await next_review(conn, learner[i], aid)
            assert task.available
            seen = given.setdefault(task.submission.id, [])
            essay = list(given).index(task.submission.id)
            choices = [[3, 2], [2, 1], [1, 1], [2, 2]][essay]
            if seen:
                choices = [max(choices[0] - 1, 0), choices[1]]
            seen.append(choices)
            await create_review(conn, learner[i], aid, s.ReviewCreate(
                allocation_id=task.allocation_id, choices=choices,
                criterion_comments=["", "Cites one source."]))  # fmt: skip
    run = await run_grading(conn, course.id, aid)
    assert run.graded == 4 and run.doubtful < 4, run
