"""Demo forum content for the demo course (called by agora.demo). Idempotent."""

from __future__ import annotations

import asyncpg

from agora.sessions import Principal
from forum.queries.threads import select_thread_id_by_title
from forum.schemas import BoardCreate, PostCreate, ThreadCreate, ThreadStateChange
from forum.service.boards import create_board
from forum.service.moderation import change_thread_state
from forum.service.posts import create_post
from forum.service.threads import create_thread
from forum.service.votes import accept_answer, endorse

WELCOME = "Welcome to the Climate Science 101 forum"


async def seed(conn: asyncpg.Connection, course_id: int, people: dict[str, int]) -> None:
    if await select_thread_id_by_title(conn, course_id, WELCOME):
        return
    roles = {"dev-instructor": "instructor", "dev-ta": "ta"}

    def as_(sub: str) -> Principal:
        return Principal(user_id=people[sub], course_id=course_id, role=roles.get(sub, "learner"))

    teacher, ta = as_("dev-instructor"), as_("dev-ta")
    amara, lucas, mei, jonas = (as_(f"dev-learner-{i}") for i in range(1, 5))
    week1 = await create_board(
        conn, teacher, course_id, BoardCreate(name="Week 1: the greenhouse effect", position=1)
    )
    exams = await create_board(
        conn, teacher, course_id, BoardCreate(name="Exam preparation", position=2)
    )

    welcome = await create_thread(
        conn, None, teacher, course_id,
        ThreadCreate(
            title=WELCOME,
            body="Ask questions, answer each other, share notes. Staff endorse good answers.\n\n"
            "Be kind; flag anything that is not.",
        ),
    )  # fmt: skip
    await change_thread_state(conn, teacher, welcome.thread.id, ThreadStateChange(action="pin"))

    question = await create_thread(
        conn, None, amara, course_id,
        ThreadCreate(
            title="Why does CO2 absorb infrared but N2 does not?",
            body="Both are in the air. Is it about the molecule's shape? "
            "The lecture wrote $\\Delta E = h\\nu$ but I don't see the link.",
            kind="question", board_id=week1.id,
        ),
    )  # fmt: skip
    qid = question.thread.id
    answer = await create_post(
        conn, None, lucas, qid,
        PostCreate(body="A molecule absorbs IR when a vibration changes its **dipole moment**."
                   " N2 is symmetric, so its stretch has no dipole change; CO2's bending"
                   " mode does."),
    )  # fmt: skip
    await create_post(
        conn, None, ta, qid,
        PostCreate(body="Right. The bending mode of CO2 sits near 15 µm, close to the peak of "
                   "Earth's thermal emission.", parent_id=answer.id),
    )  # fmt: skip
    await endorse(conn, teacher, answer.id, True)
    await accept_answer(conn, amara, answer.id, True)

    discussion = await create_thread(
        conn, None, mei, course_id,
        ThreadCreate(
            title="Is geoengineering a distraction from cutting emissions?",
            body="I'd like to hear arguments both ways.",
            board_id=week1.id,
        ),
    )  # fmt: skip
    first = await create_post(
        conn, None, jonas, discussion.thread.id,
        PostCreate(body="It buys time, but it does nothing for ocean acidification."),
    )  # fmt: skip
    await create_post(
        conn, None, amara, discussion.thread.id,
        PostCreate(body="Good point; I worry about termination shock too.", parent_id=first.id),
    )  # fmt: skip
    await create_thread(
        conn, None, jonas, course_id,
        ThreadCreate(
            title="Notes: radiative forcing formulas",
            body="- $\\Delta F = 5.35 \\ln(C/C_0)$ W/m²\n"
            "- climate sensitivity $\\lambda$ ≈ 0.8 K/(W/m²)",
            kind="notes", board_id=exams.id, anonymity="peers",
        ),
    )  # fmt: skip
