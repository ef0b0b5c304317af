"""What a launch lands on (forum.pages launch targets): the linked thread, board or forum."""

from __future__ import annotations

import msgspec
import pytest

from tests.forum.pages.conftest import principal_of


@pytest.fixture(autouse=True)
def launch_targets(app):
    """Building the app imports forum.pages, which registers the forum's launch targets."""
    return app


async def test_launch_lands_on_the_linked_thread_board_or_forum(conn, course, question):
    from agora.web import launch_response

    bob = await principal_of(conn, course.bob)

    async def landed(target: dict) -> str:
        principal = msgspec.structs.replace(bob, target=target)
        return (await launch_response(conn, principal, course.bob.token)).content

    thread = await landed({"kind": "thread", "id": question.id})
    assert 'data-page="thread"' in thread and "How does ocean heat uptake work?" in thread
    assert f'data-ui-url="/ui/courses/{course.id}/forum/threads/{question.id}"' in thread
    board = await landed({"kind": "board", "id": question.board_id})
    assert 'data-page="thread-list"' in board
    assert 'data-page="forum-home"' in await landed({"kind": "forum"})
    # A link to a thread that is gone lands on the forum home rather than an error.
    assert 'data-page="forum-home"' in await landed({"kind": "thread", "id": 999_999_999})


async def test_launch_to_an_id_that_cannot_exist_lands_on_the_forum_home(conn, course, question):
    from agora.web import launch_response

    bob = await principal_of(conn, course.bob)
    for target in (
        {"kind": "thread", "id": 10**20},
        {"kind": "thread", "id": "not a number"},
        {"kind": "board", "id": -1},
    ):
        principal = msgspec.structs.replace(bob, target=target)
        page = (await launch_response(conn, principal, course.bob.token)).content
        assert 'data-page="forum-home"' in page, target
