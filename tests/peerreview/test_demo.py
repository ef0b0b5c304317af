from peerreview import demo
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
