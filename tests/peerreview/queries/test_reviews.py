"""peerreview.queries.reviews on the rolled-back connection: a review replaces the reviewer's
earlier one, the counting UPDATE flags disagreeing peer reviews, flagged reviews leave grading."""

from peerreview.queries import reviews as q
from peerreview.queries.reviews import ReviewContent
from tests.peerreview.helpers import (
    insert_assignment_row,
    insert_submission_row,
    learners,
    learners_course,
)


def content(total: float, comment: str = "") -> ReviewContent:
    return ReviewContent(
        choices=[0, 0], scores=[total, 0.0], total=total, criterion_comments=["", ""],
        comment=comment, comment_html=f"<p>{comment}</p>" if comment else "",
    )  # fmt: skip


async def review(conn, course, a, submission_id, reviewer, total, *, by_staff=False):
    row = await q.insert_review(
        conn, course.id, a.id, submission_id=submission_id, reviewer_id=reviewer.user_id,
        allocation_id=None, by_staff=by_staff, content=content(total),
    )  # fmt: skip
    await q.mark_reviewed(conn, course.id, a.id, submission_id, k=2, max_spread=2.0)
    return row


async def submission_state(conn, submission_id):
    return tuple(
        await conn.fetchrow(
            "SELECT reviews_done, uncertain FROM pr_submissions WHERE id = $1", submission_id
        )
    )


async def test_peer_reviews_that_disagree_make_the_submission_uncertain(conn):
    course = await learners_course(conn, 4)
    a = await insert_assignment_row(conn, course)
    author, r1, r2, r3 = learners(course)
    sub = await insert_submission_row(conn, course.id, a.id, author.user_id)
    await review(conn, course, a, sub, r1, 2.0)
    assert await submission_state(conn, sub) == (1, False)  # fewer than k reviews
    await review(conn, course, a, sub, r2, 8.0)
    assert await submission_state(conn, sub) == (2, True)  # sample sd 4.24 > 2
    await review(conn, course, a, sub, r3, 5.0)
    assert await submission_state(conn, sub) == (3, True)  # sd 3 still > 2


async def test_staff_scores_do_not_count_towards_peer_disagreement(conn):
    course = await learners_course(conn, 2)
    a = await insert_assignment_row(conn, course)
    author, peer = learners(course)
    sub = await insert_submission_row(conn, course.id, a.id, author.user_id)
    await review(conn, course, a, sub, peer, 6.0)
    await review(conn, course, a, sub, course.instructor, 0.0, by_staff=True)
    assert await submission_state(conn, sub) == (2, False)


async def test_a_second_review_by_the_same_reviewer_replaces_the_first(conn):
    course = await learners_course(conn, 2)
    a = await insert_assignment_row(conn, course)
    author, peer = learners(course)
    sub = await insert_submission_row(conn, course.id, a.id, author.user_id)
    first = await q.insert_review(conn, course.id, a.id, submission_id=sub,
                                  reviewer_id=peer.user_id, allocation_id=None, by_staff=False,
                                  content=content(4.0))  # fmt: skip
    second = await q.insert_review(conn, course.id, a.id, submission_id=sub,
                                   reviewer_id=peer.user_id, allocation_id=None, by_staff=False,
                                   content=content(6.0, "better"))  # fmt: skip
    assert first["created"] and not second["created"] and second["id"] == first["id"]
    assert second["total"] == 6.0 and second["comment_html"] == "<p>better</p>"


async def test_flagged_reviews_are_left_out_of_the_matrix_and_feedback_keeps_the_flag(conn):
    course = await learners_course(conn, 3)
    a = await insert_assignment_row(conn, course)
    author, kind, rude = learners(course)
    sub = await insert_submission_row(conn, course.id, a.id, author.user_id)
    await review(conn, course, a, sub, kind, 6.0)
    bad = await review(conn, course, a, sub, rude, 0.0)
    flagged = await q.set_review_feedback(conn, course.id, bad["id"], flag_reason="insulting")
    assert flagged["flagged"] and flagged["flag_reason"] == "insulting"
    rated = await q.set_review_feedback(conn, course.id, bad["id"], helpfulness=1)
    assert rated["flagged"] and rated["helpfulness"] == 1  # a rating never clears the flag
    matrix = await q.select_review_matrix(conn, course.id, a.id)
    assert list(matrix["reviewer"]) == [kind.user_id] and list(matrix["total"]) == [6.0]
    assert [list(s) for s in matrix["scores"]] == [[6.0, 0.0]]
