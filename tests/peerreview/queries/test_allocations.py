"""peerreview.queries.allocations on the rolled-back connection (and, for SKIP LOCKED, on two
committed ones): which submission `reviews/next` picks, leases, loads, expiry, cancellation."""

import asyncpg

from agora.db import init_connection
from peerreview.queries import allocations as q
from tests.conftest import create_course
from tests.peerreview.helpers import (
    delete_committed_course,
    insert_assignment_row,
    insert_submission_row,
    learners,
    learners_course,
)


async def load_of(conn, submission_id: int) -> int:
    return await conn.fetchval(
        "SELECT review_load FROM pr_submissions WHERE id = $1", submission_id
    )


async def pick(conn, course, a, reviewer, *, excluded=None, k=None, extra=None):
    return await q.pick_submission(
        conn,
        course.id,
        a.id,
        reviewer_id=reviewer.user_id,
        excluded_owners=excluded if excluded is not None else [f"u:{reviewer.user_id}"],
        k=a.reviews_per_submission if k is None else k,
        extra=a.extra_reviews if extra is None else extra,
    )


async def assign(conn, course, a, reviewer, submission_id: int) -> None:
    await q.insert_allocations(
        conn, course.id, a.id, reviewers=[reviewer.user_id], submissions=[submission_id],
        source="manual",
    )  # fmt: skip


async def test_pick_takes_the_fewest_completed_and_live_reviews(conn):
    course = await learners_course(conn, 6)
    a = await insert_assignment_row(conn, course, reviews_per_submission=3)
    p = learners(course)
    s0, s1, s2 = [await insert_submission_row(conn, course.id, a.id, m.user_id) for m in p[:3]]
    # s0: one completed review and one live assignment (load 2); s1: one lease (load 1); s2: none
    await assign(conn, course, a, p[3], s0)
    done = await q.select_open_allocation(conn, course.id, a.id, p[3].user_id)
    await q.complete_allocation(conn, course.id, a.id, done["id"], reviewer_id=p[3].user_id)
    await assign(conn, course, a, p[4], s0)
    await q.insert_lease(conn, course.id, a.id, submission_id=s1, reviewer_id=p[4].user_id,
                         lease_seconds=600)  # fmt: skip
    assert [await load_of(conn, s) for s in (s0, s1, s2)] == [2, 1, 0]
    assert await pick(conn, course, a, p[5]) == s2
    await q.insert_lease(conn, course.id, a.id, submission_id=s2, reviewer_id=p[5].user_id,
                         lease_seconds=600)  # fmt: skip
    # s1 and s2 now tie at load 1: either, never the more loaded s0
    assert await pick(conn, course, a, p[3]) in (s1, s2)


async def test_ties_among_the_least_loaded_go_at_random_not_to_the_lowest_id(conn):
    """A group that knows the order cannot steer its reviews onto a friend's late submission."""
    course = await learners_course(conn, 12)
    a = await insert_assignment_row(conn, course, reviews_per_submission=3)
    p = learners(course)
    subs = [await insert_submission_row(conn, course.id, a.id, m.user_id) for m in p[:10]]
    reviewer = p[11]
    picks = []
    for _ in range(40):  # picking changes no load (leasing does), so each pick sees a tie
        picks.append(await pick(conn, course, a, reviewer))
    assert set(picks) <= set(subs)
    assert len(set(picks)) >= 4  # 10 tied: one id every time would be p = 10 * 0.1**40
    # a less loaded submission still always comes first: the late one once the others have 1
    await q.add_load(conn, course.id, subs[:-1], 1)
    assert {await pick(conn, course, a, reviewer) for _ in range(10)} == {subs[-1]}


async def test_pick_skips_own_teammates_and_already_allocated_or_reviewed_work(conn):
    course = await learners_course(conn, 5)
    a = await insert_assignment_row(conn, course)
    me, mate, x, y, z = learners(course)
    own = await insert_submission_row(conn, course.id, a.id, me.user_id)
    mates = await insert_submission_row(conn, course.id, a.id, mate.user_id)
    reviewed = await insert_submission_row(conn, course.id, a.id, x.user_id)
    assigned = await insert_submission_row(conn, course.id, a.id, y.user_id)
    free = await insert_submission_row(conn, course.id, a.id, z.user_id)
    await assign(conn, course, a, me, reviewed)
    done = await q.select_open_allocation(conn, course.id, a.id, me.user_id)
    await q.complete_allocation(conn, course.id, a.id, done["id"], reviewer_id=me.user_id)
    await assign(conn, course, a, me, assigned)
    # every other submission is more loaded than `own` and `mates`, yet those are never picked
    excluded = [f"u:{me.user_id}", f"u:{mate.user_id}"]
    assert await pick(conn, course, a, me, excluded=excluded) == free
    await q.insert_lease(conn, course.id, a.id, submission_id=free, reviewer_id=me.user_id,
                         lease_seconds=600)  # fmt: skip
    assert await pick(conn, course, a, me, excluded=excluded) is None
    # someone else may take any of them, own and teammate's work included
    assert await pick(conn, course, a, z, excluded=[f"u:{z.user_id}"]) in (own, mates)


async def test_expired_lease_returns_its_load_and_the_submission_can_be_leased_again(conn):
    course = await learners_course(conn, 3)
    a = await insert_assignment_row(conn, course)
    author, reviewer, other = learners(course)
    sub = await insert_submission_row(conn, course.id, a.id, author.user_id)
    lease = await q.insert_lease(conn, course.id, a.id, submission_id=sub,
                                 reviewer_id=reviewer.user_id, lease_seconds=600)  # fmt: skip
    assert lease["state"] == "leased" and await load_of(conn, sub) == 1
    assert await q.expire_leases(conn, course.id, a.id) == 0  # not yet expired
    await conn.execute(
        "UPDATE pr_allocations SET lease_expires_at = now() - interval '1 second' WHERE id = $1",
        lease["id"],
    )
    assert await q.select_open_allocation(conn, course.id, a.id, reviewer.user_id) is None
    assert await q.expire_leases(conn, course.id, a.id) == 1
    assert await load_of(conn, sub) == 0
    state = await conn.fetchval("SELECT state FROM pr_allocations WHERE id = $1", lease["id"])
    assert state == "expired"
    # an expired lease does not bar its reviewer, nor anyone else
    assert await pick(conn, course, a, reviewer) == sub
    assert await pick(conn, course, a, other) == sub
    again = await q.insert_lease(conn, course.id, a.id, submission_id=sub,
                                 reviewer_id=reviewer.user_id, lease_seconds=600)  # fmt: skip
    assert again is not None and again["id"] != lease["id"]
    assert (
        await q.complete_allocation(
            conn, course.id, a.id, lease["id"], reviewer_id=reviewer.user_id
        )
        is None
    )  # the expired one cannot be completed


async def test_uncertain_work_gets_extra_reviewers_before_the_least_loaded_rest(conn):
    course = await learners_course(conn, 3)
    a = await insert_assignment_row(conn, course, reviews_per_submission=1, extra_reviews=1)
    first, second, reviewer = learners(course)
    calm = await insert_submission_row(conn, course.id, a.id, first.user_id)
    uncertain = await insert_submission_row(conn, course.id, a.id, second.user_id)
    await q.add_load(conn, course.id, [calm, uncertain], 1)
    await conn.execute("UPDATE pr_submissions SET uncertain = true WHERE id = $1", uncertain)
    assert await pick(conn, course, a, reviewer) == uncertain
    # without extra reviews the last pass takes anything, the least loaded first
    assert await pick(conn, course, a, reviewer, extra=0) in (calm, uncertain)
    # the uncertain pass stops at k + extra
    await q.add_load(conn, course.id, [uncertain], 1)
    assert await pick(conn, course, a, reviewer) == calm


async def test_one_live_lease_per_reviewer_and_cancel_frees_the_load(conn):
    course = await learners_course(conn, 3)
    a = await insert_assignment_row(conn, course)
    x, y, reviewer = learners(course)
    sx = await insert_submission_row(conn, course.id, a.id, x.user_id)
    sy = await insert_submission_row(conn, course.id, a.id, y.user_id)
    lease = await q.insert_lease(conn, course.id, a.id, submission_id=sx,
                                 reviewer_id=reviewer.user_id, lease_seconds=600)  # fmt: skip
    second = await q.insert_lease(conn, course.id, a.id, submission_id=sy,
                                  reviewer_id=reviewer.user_id, lease_seconds=600)  # fmt: skip
    assert second is None and await load_of(conn, sy) == 0
    cancelled = await q.cancel_allocation(conn, course.id, lease["id"])
    assert cancelled["submission_id"] == sx and await load_of(conn, sx) == 0
    assert await q.cancel_allocation(conn, course.id, lease["id"]) is None
    assert await load_of(conn, sx) == 0


async def test_insert_allocations_skips_pairs_that_already_count(conn):
    course = await learners_course(conn, 3)
    a = await insert_assignment_row(conn, course)
    x, y, z = learners(course)
    sx = await insert_submission_row(conn, course.id, a.id, x.user_id)
    sy = await insert_submission_row(conn, course.id, a.id, y.user_id)
    assert await q.insert_allocations(conn, course.id, a.id, reviewers=[z.user_id, z.user_id],
                                      submissions=[sx, sy], source="batch") == 2  # fmt: skip
    assert await q.insert_allocations(conn, course.id, a.id, reviewers=[z.user_id],
                                      submissions=[sx], source="manual") == 0  # fmt: skip
    assert (await load_of(conn, sx), await load_of(conn, sy)) == (1, 1)
    assert await q.count_allocations(conn, course.id, a.id) == 2
    assert await q.is_allocated(conn, course.id, sx, z.user_id)
    assert not await q.is_allocated(conn, course.id, sx, y.user_id)


async def test_a_locked_submission_is_skipped_by_a_concurrent_pick(database_url):
    """Two reviewers asking at once: the second skips the row the first has locked."""
    first = await asyncpg.connect(database_url)
    second = await asyncpg.connect(database_url)
    for connection in (first, second):
        await init_connection(connection)
    course = await create_course(
        first, people=[("instructor", "instructor")] + [(f"l{i}", "learner") for i in range(4)]
    )
    try:
        a = await insert_assignment_row(first, course)
        people = learners(course)
        s0 = await insert_submission_row(first, course.id, a.id, people[0].user_id)
        s1 = await insert_submission_row(first, course.id, a.id, people[1].user_id)
        async with first.transaction(), second.transaction():
            taken = await pick(first, course, a, people[2])
            assert taken in (s0, s1)
            assert await pick(second, course, a, people[3]) == ({s0, s1} - {taken}).pop()
        # the first lock is gone with its transaction
        async with second.transaction():
            for _ in range(20):
                if await pick(second, course, a, people[3]) == taken:
                    break
            else:
                raise AssertionError("the row the first transaction locked stayed locked")
    finally:
        await second.close()
        await delete_committed_course(first, course.id, course.platform_id)
        await first.close()
