import re

from joserfc import jwt
from joserfc.jwk import KeySet

from agora.lti import claims as c
from agora.sessions import select_principal
from forum.schemas import BoardCreate, BoardUpdate
from forum.service import boards
from peerreview import schemas as s
from peerreview.service import assignments
from tests.agora.lti.conftest import counts, launch, launched, login
from tests.agora.lti.platform import MEMBERSHIP

OTHER_COURSE = {"id": "course-ctx-2", "title": "Rivers 201", "label": "RIV201"}


def dl_claims(platform, **settings):
    return {
        "message_type": c.DEEP_LINKING_REQUEST,
        "resource_link": None,
        c.TARGET_LINK_URI: None,
        "roles": [MEMBERSHIP + "Instructor"],
        "sub": "teacher-1",
        "dl_settings": {
            "deep_link_return_url": f"{platform.url}/dl-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "data": "opaque-platform-data",
            **settings,
        },
    }


def session_of(response) -> str:
    return re.search(r'<meta name="agora-session" content="([^"]+)"', response.text).group(1)


async def signed_items(client, answer) -> dict:
    assert answer.status_code == 200, answer.text
    signed = re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1)
    published = KeySet.import_key_set((await client.get("/lti/jwks")).json())
    return jwt.decode(signed, published, algorithms=["RS256"]).claims


async def course_rows(conn, course_id: int) -> tuple[int, int]:
    return (
        await conn.fetchval("SELECT count(*) FROM forum_boards WHERE course_id = $1", course_id),
        await conn.fetchval("SELECT count(*) FROM pr_assignments WHERE course_id = $1", course_id),
    )


async def make_board(conn, principal, name: str) -> int:
    board = await boards.create_board(conn, principal, principal.course_id, BoardCreate(name=name))
    return board.id


async def make_assignment(conn, principal, title: str) -> int:
    rubric = [
        s.Criterion(
            name="Quality",
            options=[s.Option(label="Poor", points=0), s.Option(label="Good", points=7.5)],
        )
    ]
    data = s.AssignmentCreate(title=title, prompt="Write *an* essay.", rubric=rubric)
    created = await assignments.create_assignment(conn, principal, principal.course_id, data)
    return created.id


def has_inline_script(html: str) -> bool:
    return bool(re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html) or re.search(r"\son\w+=", html))


async def test_picker_lists_the_courses_boards_and_assignments_and_no_other_courses(
    client, conn, platform
):
    teacher, _ = await launched(client, conn, platform, **dl_claims(platform))
    week1 = await make_board(conn, teacher, "Week 1 board")
    old = await make_board(conn, teacher, "Old board")
    await boards.update_board(conn, teacher, teacher.course_id, old, BoardUpdate(archived=True))
    essay = await make_assignment(conn, teacher, "Essay review")
    elsewhere, _ = await launched(
        client, conn, platform, context=OTHER_COURSE, **dl_claims(platform)
    )
    assert elsewhere.course_id != teacher.course_id
    foreign_board = await make_board(conn, elsewhere, "Rivers board")
    foreign_essay = await make_assignment(conn, elsewhere, "Rivers essay")

    principal, response = await launched(client, conn, platform, **dl_claims(platform))
    page = response.text
    assert f'<meta name="agora-course" content="{principal.course_id}">' in page
    assert not has_inline_script(page)
    for value in ("forum", f"board:{week1}", f"assignment:{essay}", "new:board", "new:assignment"):
        assert f'name="item" value="{value}"' in page, value
    assert 'type="checkbox"' in page and 'type="radio"' not in page
    assert "Week 1 board" in page and "Essay review" in page and "7.5" in page
    assert f"board:{old}" not in page and "Old board" not in page
    assert f"board:{foreign_board}" not in page and "Rivers" not in page
    assert f"assignment:{foreign_essay}" not in page
    assert 'name="cancel"' in page
    # The launch's locale (fr-FR): the page is French.
    assert '<html lang="fr">' in page and "Ajouter au cours" in page and "Forum du cours" in page

    # Another course's ids are unknown here: a 404 page that shows the picker again.
    token = session_of(response)
    before = await course_rows(conn, principal.course_id)
    for item in (f"board:{foreign_board}", f"assignment:{foreign_essay}", f"board:{old}"):
        answer = await client.post(
            "/lti/deep-link/return", data={"session_token": token, "item": item}
        )
        assert answer.status_code == 404, answer.text
        assert 'role="alert"' in answer.text and 'name="item" value="forum"' in answer.text
    # ...and the request is still open: a good answer goes through.
    body = await signed_items(
        client,
        await client.post(
            "/lti/deep-link/return",
            data={"session_token": token, "item": [f"board:{week1}", f"assignment:{essay}"]},
        ),
    )
    board, assignment = body[c.DL_CONTENT_ITEMS]
    assert board["title"] == "Week 1 board" and "lineItem" not in board
    assert board["custom"] == {"agora_target": "board", "agora_target_id": str(week1)}
    assert assignment["title"] == "Essay review" and assignment["text"] == "Write *an* essay."
    assert await course_rows(conn, principal.course_id) == before


async def test_new_board_and_assignment_are_created_by_the_return_and_signed(
    client, conn, platform
):
    principal, response = await launched(client, conn, platform, **dl_claims(platform))
    course = principal.course_id
    boards_before, assignments_before = await course_rows(conn, course)
    answer = await client.post(
        "/lti/deep-link/return",
        data={
            "session_token": session_of(response),
            "item": ["new:board", "new:assignment", "forum"],
            "new_title:board": "Week <b>2</b>",
            "new_title:assignment": "  Lab report review ",
        },
    )
    body = await signed_items(client, answer)
    assert f'action="{platform.url}/dl-return"' in answer.text
    assert body["iss"] == platform.client_id and body["aud"] == platform.issuer
    assert body[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse" and body[c.VERSION] == "1.3.0"
    assert body[c.DEPLOYMENT_ID] == platform.deployment_id
    assert body[c.DL_DATA] == "opaque-platform-data"
    assert await course_rows(conn, course) == (boards_before + 1, assignments_before + 1)
    board_row = await conn.fetchrow(
        "SELECT id, name FROM forum_boards WHERE course_id = $1 AND name = 'Week 2'", course
    )
    assignment_row = await conn.fetchrow(
        "SELECT id, title, points_possible, phase, rubric FROM pr_assignments WHERE course_id = $1",
        course,
    )
    assert assignment_row["title"] == "Lab report review" and assignment_row["phase"] == "draft"
    board, assignment, forum = body[c.DL_CONTENT_ITEMS]
    assert board["type"] == "ltiResourceLink" and board["title"] == "Week 2"
    assert board["url"] == "http://testserver.local/lti/launch" and board["text"]
    assert board["custom"] == {"agora_target": "board", "agora_target_id": str(board_row["id"])}
    assert assignment["custom"] == {
        "agora_target": "assignment",
        "agora_target_id": str(assignment_row["id"]),
    }
    assert assignment["title"] == "Lab report review" and assignment["text"]
    assert assignment["lineItem"] == {
        "scoreMaximum": assignment_row["points_possible"],
        "label": "Lab report review",
        "resourceId": f"assignment-{assignment_row['id']}",
        "tag": "agora-peer-review",
    }
    assert assignment_row["points_possible"] == 3  # the starter rubric: 0-3 on one criterion
    assert forum["custom"] == {"agora_target": "forum"} and forum["title"]
    assert "lineItem" not in forum and "lineItem" not in board

    # Answered once: a second post creates nothing.
    again = await client.post(
        "/lti/deep-link/return",
        data={
            "session_token": session_of(response),
            "item": "new:board",
            "new_title:board": "Week 3",
        },
    )
    assert again.status_code == 410
    assert await course_rows(conn, course) == (boards_before + 1, assignments_before + 1)

    # The platform stores the link; a learner launched into it lands on that assignment once
    # it is open, and on the board.
    await assignments.change_phase(conn, principal, assignment_row["id"], "submission")
    for item, expected in (
        (assignment, {"kind": "assignment", "id": assignment_row["id"]}),
        (board, {"kind": "board", "id": board_row["id"]}),
    ):
        r = await login(client, platform)
        page = await launch(
            client,
            r.state,
            platform.id_token(r.nonce, custom=item["custom"], resource_link={"id": item["title"]}),
            r.cookie,
        )
        assert page.status_code == 200
        learner = await select_principal(conn, session_of(page))
        assert learner.role == "learner" and learner.target == expected
        assert item["title"] in page.text


async def test_line_item_score_maximum_is_the_assignments_points(client, conn, platform):
    principal, response = await launched(client, conn, platform, **dl_claims(platform))
    essay = await make_assignment(conn, principal, "Essay review")
    body = await signed_items(
        client,
        await client.post(
            "/lti/deep-link/return",
            data={"session_token": session_of(response), "item": f"assignment:{essay}"},
        ),
    )
    (item,) = body[c.DL_CONTENT_ITEMS]
    assert item["lineItem"]["scoreMaximum"] == 7.5
    assert item["lineItem"]["resourceId"] == f"assignment-{essay}"


async def test_no_line_item_when_the_platform_does_not_accept_them(client, conn, platform):
    principal, response = await launched(
        client, conn, platform, **dl_claims(platform, accept_lineitem=False)
    )
    essay = await make_assignment(conn, principal, "Essay review")
    body = await signed_items(
        client,
        await client.post(
            "/lti/deep-link/return",
            data={"session_token": session_of(response), "item": f"assignment:{essay}"},
        ),
    )
    (item,) = body[c.DL_CONTENT_ITEMS]
    assert "lineItem" not in item and item["custom"]["agora_target_id"] == str(essay)


async def test_one_item_only_when_the_platform_does_not_accept_multiple(client, conn, platform):
    principal, response = await launched(
        client, conn, platform, **dl_claims(platform, accept_multiple=False)
    )
    assert 'type="radio"' in response.text and 'type="checkbox"' not in response.text
    before = await course_rows(conn, principal.course_id)
    token = session_of(response)
    answer = await client.post(
        "/lti/deep-link/return",
        data={
            "session_token": token,
            "item": ["forum", "new:board"],
            "new_title:board": "Week 2",
        },
    )
    assert answer.status_code == 400 and 'role="alert"' in answer.text
    assert 'type="radio"' in answer.text
    assert await course_rows(conn, principal.course_id) == before
    body = await signed_items(
        client,
        await client.post(
            "/lti/deep-link/return",
            data={"session_token": token, "item": "new:board", "new_title:board": "Week 2"},
        ),
    )
    (item,) = body[c.DL_CONTENT_ITEMS]
    assert item["title"] == "Week 2"


async def test_bad_picks_are_4xx_pages_and_create_nothing(client, conn, platform):
    principal, response = await launched(client, conn, platform, **dl_claims(platform))
    token = session_of(response)
    before = await course_rows(conn, principal.course_id)
    cases = [
        ({}, 400),
        ({"item": "thread:3"}, 400),
        ({"item": "board:abc"}, 400),
        ({"item": "board:0"}, 400),
        ({"item": f"board:{2**63}"}, 400),
        ({"item": "assignment:99999999"}, 404),
        ({"item": "new:forum", "new_title:forum": "x"}, 400),
        ({"item": "new:board", "new_title:board": "   "}, 400),
        ({"item": "new:board", "new_title:board": "<b></b>"}, 400),
        ({"item": "new:assignment", "new_title:assignment": "x" * 201}, 400),
        ({"item": "new:board", "new_title:board": "b" * 121}, 400),  # the API's board limit
        ({"item": ["forum", "forum"]}, 400),
        ({"item": [f"board:{n}" for n in range(1, 30)]}, 400),
        # A good new board before a bad item: the board is not kept either.
        ({"item": ["new:board", "assignment:99999999"], "new_title:board": "Kept?"}, 404),
    ]
    for fields, status in cases:
        answer = await client.post("/lti/deep-link/return", data={"session_token": token, **fields})
        assert answer.status_code == status, (fields, answer.text)
        assert answer.headers["content-type"].startswith("text/html")
        assert 'role="alert"' in answer.text and 'name="session_token"' in answer.text
        assert "Traceback" not in answer.text
    assert await course_rows(conn, principal.course_id) == before
    # Cancel answers the platform with nothing added.
    body = await signed_items(
        client,
        await client.post(
            "/lti/deep-link/return",
            data={
                "session_token": token,
                "item": "new:board",
                "cancel": "1",
                "new_title:board": "Week 9",
            },
        ),
    )
    assert body[c.DL_CONTENT_ITEMS] == [] and body[c.DL_MSG]
    assert await course_rows(conn, principal.course_id) == before


async def test_learners_cannot_deep_link_and_nothing_is_created(client, conn, platform):
    r = await login(client, platform)
    before = await counts(conn)
    claims = {**dl_claims(platform), "roles": [MEMBERSHIP + "Learner"]}
    response = await launch(client, r.state, platform.id_token(r.nonce, **claims), r.cookie)
    assert response.status_code == 403 and "only instructors" in response.text
    assert await counts(conn) == before


async def test_teaching_assistants_cannot_deep_link(client, conn, platform):
    r = await login(client, platform)
    claims = {**dl_claims(platform), "roles": [MEMBERSHIP + "Mentor"]}
    response = await launch(client, r.state, platform.id_token(r.nonce, **claims), r.cookie)
    assert response.status_code == 403


async def test_deep_link_return_needs_the_instructors_deep_link_session(client, conn, platform):
    learner, response = await launched(client, conn, platform)
    token = session_of(response)
    answer = await client.post(
        "/lti/deep-link/return", data={"session_token": token, "item": "forum"}
    )
    assert answer.status_code == 403
    answer = await client.post("/lti/deep-link/return", data={"session_token": "nope"})
    assert answer.status_code == 401


async def test_deep_link_request_without_return_url_is_rejected(client, conn, platform):
    r = await login(client, platform)
    claims = dl_claims(platform)
    claims["dl_settings"] = {"accept_types": ["ltiResourceLink"]}
    response = await launch(client, r.state, platform.id_token(r.nonce, **claims), r.cookie)
    assert response.status_code == 400 and "deep_link_return_url" in response.text


async def test_learner_and_ta_sessions_cannot_create_through_the_return(client, conn, platform):
    instructor, response = await launched(client, conn, platform, **dl_claims(platform))
    before = await course_rows(conn, instructor.course_id)
    for role in ("Learner", "Mentor"):
        _, page = await launched(
            client, conn, platform, roles=[MEMBERSHIP + role], sub=f"someone-{role}"
        )
        answer = await client.post(
            "/lti/deep-link/return",
            data={
                "session_token": session_of(page),
                "item": "new:assignment",
                "new_title:assignment": "Sneaky",
            },
        )
        assert answer.status_code == 403
    assert await course_rows(conn, instructor.course_id) == before
