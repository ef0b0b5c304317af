"""agora.queries.courses on the rolled-back connection: the course a page shows, a member's role."""

from agora.queries import courses as q
from agora.schemas import MAX_ID
from tests.conftest import create_course


async def test_select_course_is_the_course_as_pages_show_it(conn):
    course = await create_course(conn, people=(), language="fr", settings_json={"anonymous": True})
    assert await q.select_course(conn, course.id) == q.CourseView(
        id=course.id, title="Test course", label="", language="fr", settings={"anonymous": True}
    )


async def test_select_course_of_an_unknown_id_is_none(conn, course):
    assert await q.select_course(conn, MAX_ID) is None


async def test_select_member_role_is_the_role_in_that_course_only(conn, course, other_course):
    assert await q.select_member_role(conn, course.id, course.ta.user_id) == "ta"
    assert await q.select_member_role(conn, course.id, course.alice.user_id) == "learner"
    assert await q.select_member_role(conn, other_course.id, course.alice.user_id) is None
