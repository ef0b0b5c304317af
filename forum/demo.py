"""Demo forum content for the demo course (called by agora.demo). Idempotent."""

from __future__ import annotations

from agora.sessions import Principal
from forum import queries as q
from forum import service
from forum.schemas import BoardCreate, PostCreate, ThreadCreate, ThreadStateChange

WELCOME = "Welcome to the Climate Science 101 forum"


async def seed(conn, course_id: int, people: dict[str, int]) -> None:
    if await q.select_thread_ids_by_title(conn, course_id, WELCOME):
        return
    roles = {"dev-instructor": "instructor", "dev-ta": "ta"}

    def as_(sub: str) -> Principal:
        return Principal(user_id=people[sub], course_id=course_id, role=roles.get(sub, "learner"))

    teacher, ta = as_("dev-instructor"), as_("dev-ta")
    amara, lucas, mei, jonas = (as_(f"dev-learner-{i}") for i in range(1, 5))
    week1 = await service.create_board(
        conn, teacher, course_id, BoardCreate(name="Week 1: the greenhouse effect", position=1)
    )
    exams = await service.create_board(
        conn, teacher, course_id, BoardCreate(name="Exam preparation", position=2)
    )

    welcome = await service.create_thread(
        conn, None, teacher, course_id,
        ThreadCreate(
            title=WELCOME,
            body="Ask questions, answer each other, share notes. Staff endorse good answers.\n\n"
            "Be kind; flag anything that is not.",
        ),
    )  # fmt: skip
    await service.change_thread_state(
        conn, teacher, welcome.thread.id, ThreadStateChange(action="pin")
    )

    question = await service.create_thread(
        conn, None, amara, course_id,
        ThreadCreate(
            title="Why does CO2 absorb infrared but N2 does not?",
            body="Both are in the air. Is it about the molecule's shape? "
            "The lecture wrote $\\Delta E = h\\nu$ but I don't see the link.",
            kind="question", board_id=week1.id,
        ),
    )  # fmt: skip
    qid = question.thread.id
    answer = await service.create_post(
        conn, None, lucas, qid,
        PostCreate(body="A molecule absorbs IR when a vibration changes its **dipole moment**."
                   " N2 is symmetric, so its stretch has no dipole change; CO2's bending"
                   " mode does."),
    )  # fmt: skip
    await service.create_post(
        conn, None, ta, qid,
        PostCreate(body="Right. The bending mode of CO2 sits near 15 µm, close to the peak of "
                   "Earth's thermal emission.", parent_id=answer.id),
    )  # fmt: skip
    await service.endorse(conn, teacher, answer.id, True)
    await service.accept_answer(conn, amara, answer.id, True)

    discussion = await service.create_thread(
        conn, None, mei, course_id,
        ThreadCreate(
            title="Is geoengineering a distraction from cutting emissions?",
            body="I'd like to hear arguments both ways.",
            board_id=week1.id,
        ),
    )  # fmt: skip
    first = await service.create_post(
        conn, None, jonas, discussion.thread.id,
        PostCreate(body="It buys time, but it does nothing for ocean acidification."),
    )  # fmt: skip
    await service.create_post(
        conn, None, amara, discussion.thread.id,
        PostCreate(body="Good point; I worry about termination shock too.", parent_id=first.id),
    )  # fmt: skip
    await service.create_thread(
        conn, None, jonas, course_id,
        ThreadCreate(
            title="Notes: radiative forcing formulas",
            body="- $\\Delta F = 5.35 \\ln(C/C_0)$ W/m²\n"
            "- climate sensitivity $\\lambda$ ≈ 0.8 K/(W/m²)",
            kind="notes", board_id=exams.id, anonymity="peers",
        ),
    )  # fmt: skip
