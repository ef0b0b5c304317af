"""peerreview.queries.assignments on the rolled-back connection: typed rows, partial updates,
the keyset list (drafts only for staff), teams."""

from peerreview.queries import assignments as q
from peerreview.queries.assignments import Assignment
from tests.peerreview.helpers import (
    STORED_RUBRIC,
    insert_assignment_row,
    learners,
    learners_course,
)


async def test_rows_are_read_as_assignment_structs_scoped_by_course(conn, other_course):
    course = await learners_course(conn, 1)
    a = await insert_assignment_row(conn, course, title="Loops")
    assert isinstance(a, Assignment) and a.phase == "draft" and a.rubric == STORED_RUBRIC
    assert await q.select_assignment(conn, course.id, a.id, for_update=True) == a
    assert await q.select_assignment(conn, other_course.id, a.id) is None
    assert (await q.select_assignment_by_title(conn, course.id, "Loops")).id == a.id
    assert await q.select_assignment_by_title(conn, other_course.id, "Loops") is None


async def test_update_sets_only_the_given_columns(conn):
    course = await learners_course(conn, 1)
    a = await insert_assignment_row(conn, course, title="Before", lease_seconds=900)
    updated = await q.update_assignment(
        conn, course.id, a.id, {"title": "After", "phase": "review"}
    )
    assert (updated.title, updated.phase, updated.lease_seconds) == ("After", "review", 900)
    assert updated.rubric == a.rubric and updated.created_at == a.created_at


async def test_list_is_keyset_by_id_and_hides_drafts_unless_asked(conn):
    course = await learners_course(conn, 1)
    ids = [(await insert_assignment_row(conn, course, title=f"A{i}")).id for i in range(3)]
    await q.update_assignment(conn, course.id, ids[1], {"phase": "submission"})
    staff = await q.select_assignments(
        conn, course.id, after_id=ids[0], limit=5, include_drafts=True
    )
    assert [a.id for a in staff] == ids[1:]
    learners_view = await q.select_assignments(
        conn, course.id, after_id=0, limit=5, include_drafts=False
    )
    assert [a.id for a in learners_view] == [ids[1]]


async def test_replacing_teams_drops_the_old_ones(conn):
    course = await learners_course(conn, 3)
    a = await insert_assignment_row(conn, course, team_submissions=True)
    x, y, z = learners(course)
    await q.replace_teams(conn, course.id, a.id, users=[x.user_id, y.user_id],
                          teams=["red", "red"])  # fmt: skip
    assert await q.select_team(conn, course.id, a.id, y.user_id) == "red"
    assert sorted(await q.select_team_members(conn, course.id, a.id, "red")) == sorted(
        [x.user_id, y.user_id]
    )
    await q.replace_teams(conn, course.id, a.id, users=[z.user_id], teams=["blue"])
    assert await q.select_team(conn, course.id, a.id, x.user_id) is None
    assert await q.select_team_members(conn, course.id, a.id, "blue") == [z.user_id]
    assert set(await q.select_learners(conn, course.id)) == {x.user_id, y.user_id, z.user_id}
