"""The threaded thread page (issue 12.1): replies nested under their parent down to the course's
display depth, deeper ones flattened with "in reply to NAME" (anonymous parents stay anonymous),
collapsible subtrees, a question's accepted and endorsed answers first, more posts and new
replies placed by the container they name, and a statement count that does not grow with the
thread."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from forum.presenters import ROOT_PATH, thread_tree
from forum.schemas import Author, PostCreate, PostRead, ThreadCreate
from forum.service import posts as posts_service
from forum.service import threads as threads_service
from forum.service import votes as votes_service
from tests.forum.pages.conftest import principal_of, ui
from tests.forum.pages.test_statements import statements

HTMX = {"HX-Request": "true"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class Tree(HTMLParser):
    """Each post article's chain of reply containers (outermost first), and its own HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.chains: dict[int, list[str]] = {}
        self.details_open: dict[str, bool] = {}
        self.feed(html)
        self.html = html

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "article" and re.fullmatch(r"post-\d+", a.get("id", "")):
            self.chains[int(a["id"][5:])] = [
                e[1]["id"] for e in self.stack if e[1].get("id", "").startswith("replies-")
            ]
        if tag == "details" and "subtree" in a.get("class", ""):
            self.details_open[str(len(self.details_open))] = "open" in a
        if tag not in VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def article(self, post_id: int) -> str:
        return self.html.split(f'id="post-{post_id}"', 1)[1].split("</article>", 1)[0]


def box(path: str) -> str:
    return f"replies-{path}"


async def reply(conn, who, thread_id, parent_id=None, body="A reply", anonymity=None) -> PostRead:
    data = PostCreate(body=body, parent_id=parent_id, anonymity=anonymity)
    return await posts_service.create_post(conn, None, who, thread_id, data)


async def chain(conn, course, thread_id, length, authors=("bob", "carol", "alice")):
    """A reply to the opening post, a reply to it, and so on: `length` levels deep."""
    posts, parent = [], None
    for level in range(length):
        who = await principal_of(conn, getattr(course, authors[level % len(authors)]))
        post = await reply(conn, who, thread_id, parent, body=f"Level {level + 1} here")
        posts.append(post)
        parent = post.id
    return posts


async def page(client, course, thread_id, who) -> Tree:
    response = await client.get(ui(course, f"/forum/threads/{thread_id}"), headers=who.headers)
    assert response.status_code == 200, response.text
    return Tree(response.text)


async def test_replies_nest_under_their_parent_to_the_display_depth_then_flatten(
    client, conn, course, question
):
    a, b, c, d, e = await chain(conn, course, question.id, 5)  # default display depth: 3
    tree = await page(client, course, question.id, course.bob)
    top = box(ROOT_PATH)
    assert tree.chains[a.id] == [top]
    assert tree.chains[b.id] == [top, box(a.path)]
    assert tree.chains[c.id] == [top, box(a.path), box(b.path)]
    # Deeper than 3: flattened into the container of their ancestor at depth 3, not indented.
    assert tree.chains[d.id] == tree.chains[e.id] == [*tree.chains[c.id], box(c.path)]
    assert f'class="replies flat" id="{box(c.path)}"' in tree.html
    assert f'class="replies" id="{box(b.path)}"' in tree.html
    # ... and each says whom it answers, linked to that post.
    assert "In reply to" in tree.article(d.id) and "In reply to" in tree.article(e.id)
    assert f'href="#post-{c.id}">Alice</a>' in tree.article(d.id)  # c's author
    assert f'href="#post-{d.id}">Bob</a>' in tree.article(e.id)
    for shown_under_parent in (a, b, c):
        assert "In reply to" not in tree.article(shown_under_parent.id)
    # Everyone may reply at any depth (the reply is flattened, not refused).
    assert f"/posts/{e.id}/reply" in tree.article(e.id)


async def test_the_course_display_depth_decides_where_replies_flatten(
    client, conn, course, question
):
    await conn.execute(
        """UPDATE courses SET settings = jsonb_set(coalesce(settings, '{}'), '{forum}',
                                                   '{"max_depth": 1}') WHERE id = $1""",
        course.id,
    )
    a, b, c = await chain(conn, course, question.id, 3)
    tree = await page(client, course, question.id, course.bob)
    assert tree.chains[a.id] == [box(ROOT_PATH)]
    assert tree.chains[b.id] == tree.chains[c.id] == [box(ROOT_PATH), box(a.path)]
    assert f'href="#post-{a.id}">Bob</a>' in tree.article(b.id)
    assert f'href="#post-{b.id}">Carol</a>' in tree.article(c.id)


async def test_in_reply_to_an_anonymous_post_shows_the_anonymous_label_to_peers(
    client, conn, course, question
):
    bob = await principal_of(conn, course.bob)
    alice = await principal_of(conn, course.alice)
    carol = await principal_of(conn, course.carol)
    a = await reply(conn, bob, question.id, body="Top answer")
    b = await reply(conn, carol, question.id, a.id, body="Second level")
    c = await reply(conn, bob, question.id, b.id, body="Third level")
    secret = await reply(conn, alice, question.id, c.id, body="Shy", anonymity="peers")
    d = await reply(conn, carol, question.id, secret.id, body="Answering the shy one")

    as_bob = await page(client, course, question.id, course.bob)
    line = as_bob.article(d.id).split("In reply to", 1)[1].split("</p>", 1)[0]
    assert f'href="#post-{secret.id}">Anonymous</a>' in line and "Alice" not in line
    as_staff = await page(client, course, question.id, course.instructor)
    assert f'href="#post-{secret.id}">Alice</a>' in as_staff.article(d.id)
    # The JSON read says the same through the same rule.
    read = await client.get(f"/api/v1/threads/{question.id}", headers=course.bob.headers)
    by_id = {p["id"]: p for p in read.json()["posts"]}
    assert by_id[d.id]["reply_to"] == {"id": None, "name": "Anonymous", "anonymous": True,
                                       "is_me": False, "role": None}  # fmt: skip
    assert by_id[c.id]["reply_to"] is None  # shown under its parent
    # A new reply's own answer, from the page, hides the anonymous parent's name too.
    response = await client.post(
        ui(course, f"/forum/threads/{question.id}/posts"),
        data={"body": "Me too", "parent_id": str(secret.id)},
        headers=course.bob.headers | HTMX,
    )
    assert f'href="#post-{secret.id}">Anonymous</a>' in response.text
    assert "Alice" not in response.text


async def test_each_subtree_collapses_without_script(client, conn, course, question):
    a, b = await chain(conn, course, question.id, 2)
    tree = await page(client, course, question.id, course.bob)
    # A <details open> around each post's replies: the browser collapses and expands it.
    node = tree.html.split(f'data-path="{a.path}"', 1)[1]
    details = node.split("<details", 1)[1].split(f'id="{box(a.path)}"', 1)[0]
    assert details.startswith(' class="subtree" open>') and "<summary>" in details
    assert "Hide replies" in details and "Show replies" in details
    assert all(tree.details_open.values())
    assert 'id="post-' + str(b.id) + '"' in tree.html.split(f'id="{box(a.path)}"', 1)[1]


async def test_accepted_and_endorsed_answers_come_first_with_a_link_to_their_place(
    client, conn, redis, course, question
):
    bob = await principal_of(conn, course.bob)
    carol = await principal_of(conn, course.carol)
    alice = await principal_of(conn, course.alice)  # the asker
    ta = await principal_of(conn, course.ta)
    first = await reply(conn, bob, question.id, body="An early guess")
    endorsed = await reply(conn, carol, question.id, body="A sound explanation")
    accepted = await reply(conn, bob, question.id, first.id, body="The exact answer")
    await votes_service.endorse(conn, ta, endorsed.id, True)
    await votes_service.accept_answer(conn, alice, accepted.id, True)

    response = await client.get(
        ui(course, f"/forum/threads/{question.id}"), headers=course.carol.headers
    )
    text = response.text
    section = text.split('class="answers-first"', 1)[1].split("</section>", 1)[0]
    assert section.index("The exact answer") < section.index("A sound explanation")
    assert "An early guess" not in section
    assert f'href="#post-{accepted.id}"' in section and f'href="#post-{endorsed.id}"' in section
    assert 'id="post-' not in section  # copies: the posts keep their ids in the tree
    # The section is above the replies, which stay in tree order.
    assert text.index('class="answers-first"') < text.index(f'id="{box(ROOT_PATH)}"')
    assert text.index(f'id="post-{first.id}"') < text.index(f'id="post-{endorsed.id}"')

    # A discussion has no answers section, endorsed replies or not.
    discussion = await threads_service.create_thread(
        conn, None, alice, course.id, ThreadCreate(title="Chat", body="Hello", kind="discussion")
    )
    chat = await reply(conn, bob, discussion.thread.id, body="Hi")
    await votes_service.endorse(conn, ta, chat.id, True)
    response = await client.get(
        ui(course, f"/forum/threads/{discussion.thread.id}"), headers=course.carol.headers
    )
    assert "answers-first" not in response.text


async def test_an_answer_beyond_the_first_page_is_still_shown_first_in_as_many_statements(
    client, conn, course, question
):
    bob = await principal_of(conn, course.bob)
    alice = await principal_of(conn, course.alice)
    thread = ui(course, f"/forum/threads/{question.id}")
    await client.get(thread, headers=course.carol.headers)  # the framing policy's first read
    early = await reply(conn, bob, question.id, body="Early answer")
    await votes_service.accept_answer(conn, alice, early.id, True)
    small, _ = await statements(conn, client.get(thread, headers=course.carol.headers))

    for n in range(55):
        await reply(conn, bob, question.id, body=f"Filler {n}")
    late = await reply(conn, bob, question.id, body="The late, right answer")
    await votes_service.accept_answer(conn, alice, late.id, True)
    queries, response = await statements(conn, client.get(thread, headers=course.carol.headers))
    assert f'id="post-{late.id}"' not in response.text  # not on the first page...
    section = response.text.split('class="answers-first"', 1)[1].split("</section>", 1)[0]
    assert "The late, right answer" in section  # ...but shown first
    assert "Early answer" not in section  # no longer accepted
    # One statement for the answers when the page holds only part of the thread, and no more
    # whatever the thread's size.
    assert len(queries) <= len(small) + 1, queries


async def test_more_posts_arrive_in_runs_naming_the_container_they_belong_in(
    client, conn, course, question
):
    bob = await principal_of(conn, course.bob)
    carol = await principal_of(conn, course.carol)
    answer = await reply(conn, bob, question.id, body="The answer")
    comments = [await reply(conn, carol, question.id, answer.id, body=f"C{n}") for n in range(52)]
    later = await reply(conn, bob, question.id, body="Another answer")
    first = await client.get(
        ui(course, f"/forum/threads/{question.id}"), headers=course.bob.headers
    )
    cursor = re.search(r"/posts\?cursor=([^\"&]+)", first.text).group(1)
    more = await client.get(
        ui(course, f"/forum/threads/{question.id}/posts?cursor={cursor}"),
        headers=course.bob.headers | HTMX,
    )
    assert more.status_code == 200
    runs = re.findall(r'<div class="run" data-into="([0-9a-f]+)">', more.text)
    assert runs == [answer.path, ROOT_PATH]  # the rest of the comments, then the next answer
    assert f'id="{box(answer.path)}"' not in more.text  # the container is on the page already
    in_first_run = more.text.split('data-into="' + ROOT_PATH + '"', 1)[0]
    assert f'id="post-{comments[-1].id}"' in in_first_run
    assert f'id="post-{later.id}"' not in in_first_run


async def test_a_reply_from_the_page_names_its_place_in_the_tree(client, conn, course, question):
    a, b, c = await chain(conn, course, question.id, 3)
    thread = ui(course, f"/forum/threads/{question.id}/posts")
    under_b = await client.post(
        thread, data={"body": "Nested", "parent_id": str(b.id)}, headers=course.bob.headers | HTMX
    )
    assert under_b.text.startswith(f'<div class="run" data-into="{b.path}">')
    assert "In reply to" not in under_b.text
    under_c = await client.post(
        thread,
        data={"body": "Too deep", "parent_id": str(c.id)},
        headers=course.carol.headers | HTMX,
    )
    # c is at the display depth: the reply goes in c's own (flat) container, naming c's author.
    assert under_c.text.startswith(f'<div class="run" data-into="{c.path}">')
    assert f'href="#post-{c.id}">Alice</a>' in under_c.text


# ---- the layout on its own (forum.presenters.thread_tree) ----------------------------------


def post(path: str) -> PostRead:
    depth = len(path) // 8 - 1
    return PostRead(
        id=int(path[-8:], 16), thread_id=1, parent_id=None, seq=int(path[-8:], 16), depth=depth,
        display_depth=depth, author=Author(id=1, name="A", anonymous=False), body_html="",
        score=0, reply_count=0, endorsed=False, accepted=False, deleted=False, hidden=False,
        voted=False, unread=False, edited_at=None, created_at=None, path=path,  # type: ignore[arg-type]
    )  # fmt: skip


def shape(layout) -> list[tuple[int, int, bool, str | None, bool]]:
    return [(i.post.seq, i.close, i.end_run, i.run, i.owns) for i in layout.items]


def test_layout_opens_and_closes_subtrees_in_one_pass():
    r = ROOT_PATH
    posts = [post(r), post(r + "00000002"), post(r + "00000002" + "00000003"),
             post(r + "00000002" + "00000003" + "00000004"), post(r + "00000005")]  # fmt: skip
    layout = thread_tree(posts, 2, base=ROOT_PATH)
    # The root is the page's own; seq 4 (depth 3 > 2) is flattened into seq 3's container and
    # owns none; seq 5 closes 3's and 2's subtrees.
    assert shape(layout) == [(2, 0, False, None, True), (3, 0, False, None, True),
                             (4, 0, False, None, False), (5, 2, False, None, True)]  # fmt: skip
    assert layout.close == 1 and not layout.run_open


def test_layout_puts_a_reply_whose_ancestors_are_not_shown_in_the_nearest_shown_one():
    r = ROOT_PATH
    posts = [post(r), post(r + "00000002"), post(r + "00000003" + "00000004")]
    layout = thread_tree(posts, 3, base=ROOT_PATH)
    assert shape(layout)[1] == (4, 1, False, None, True)  # closes 2, lands in the root's


def test_layout_of_a_later_page_starts_a_run_per_container_not_on_it():
    r = ROOT_PATH
    a = r + "00000002"
    posts = [post(a + "00000009"), post(a + "0000000a"), post(r + "0000000b"),
             post(r + "0000000b" + "0000000c")]  # fmt: skip
    layout = thread_tree(posts, 3, base=None)
    assert shape(layout) == [(9, 0, False, a, True), (10, 1, False, None, True),
                             (11, 1, True, r, True), (12, 0, False, None, True)]  # fmt: skip
    assert layout.close == 2 and layout.run_open
