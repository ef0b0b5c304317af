"""forum.queries.search: similar titles without pg_trgm (the embedded server has none), the
ranking window, and the accent folding the snippets rely on."""

from __future__ import annotations

from forum.queries import search
from forum.service.search import FRAGMENT_SEPARATOR, fold, snippet


async def test_similar_titles_by_full_text_match_word_prefixes_and_single_digits(
    conn, course, make_thread
):
    week3 = await make_thread(title="Exercise 3 of week 2")
    await make_thread(title="Exercise 4 of week 5")
    await make_thread(title="Glaciers and albedo")

    async def similar(typed: str) -> list[int]:
        rows = await search.select_similar_fts(
            conn, course.id, "english", typed, staff=False, limit=5
        )
        return [r["id"] for r in rows]

    glaciers = await similar("glac")  # a word being typed is a prefix
    assert len(glaciers) == 1
    assert (await similar("is 3 a"))[:1] == [week3]  # "3" counts, "a" and "is" do not
    assert await similar("a b") == []  # single letters alone find nothing


async def test_only_the_newest_matches_of_the_window_are_ranked(conn, course, make_thread):
    """The ranking window: with room for 2 candidates, the 2 newest matching posts are ranked,
    even when an older one would rank higher (its title matches too)."""
    best_but_oldest = await make_thread(title="Glacier glacier glacier")
    await make_thread(title="Other")
    newer = [await make_thread(title=f"Week {i}") for i in range(2)]
    await conn.execute(
        "UPDATE forum_posts SET body_html = '<p>glacier</p>' WHERE course_id = $1 "
        "AND thread_id = ANY($2::bigint[])",
        course.id,
        newer,
    )

    async def found(window: int, ranges: tuple[int, int] = (0, 0)) -> set[int]:
        rows = await search.select_search(
            conn, course.id, "english", "glacier", staff=False, user_id=course.bob.user_id,
            after=(float("inf"), 2**62), limit=10, window=window, snippet_source_chars=500,
            ranges=ranges,
        )  # fmt: skip
        return {r["thread_id"] for r in rows}

    assert await found(2) == set(newer)
    assert await found(10) == {*newer, best_but_oldest}
    # Filled range by range (newest ids first), the window holds the same posts.
    ids = await conn.fetch(
        "SELECT id FROM forum_posts WHERE course_id = $1 ORDER BY id DESC", course.id
    )
    newest_first = [r["id"] for r in ids]
    for ranges in ((newest_first[0], newest_first[1]), (newest_first[1], newest_first[3])):
        assert await found(2, ranges) == set(newer), ranges
        assert await found(10, ranges) == {*newer, best_but_oldest}, ranges


async def test_python_fold_is_agora_fold(conn):
    """forum.service.search.fold maps snippets back onto the text: it must fold every
    character as the SQL function that built the documents does."""
    latin = "".join(chr(c) for c in range(0xC0, 0x250)) + "ﬁﬂ²½ŒœÆæßØøŁłĐđ’«»… e\u0301"
    assert await conn.fetchval("SELECT agora_fold($1)", latin) == "".join(map(fold, latin))


def test_snippets_are_mapped_back_onto_the_text_as_written():
    text = "Le cœur du réchauffement: l'ÉTÉ e\u0301te\u0301 ﬁn"
    folded = "".join(map(fold, text))
    assert folded == "Le coeur du rechauffement: l'ETE ete fin"
    headline = "Le \x02coeur\x03 du \x02rechauffement\x03: l'ETE\x04ete \x02fin\x03"
    assert snippet(text, headline) == (
        "Le \x02cœur\x03 du \x02réchauffement\x03: l'ÉTÉ"
        + FRAGMENT_SEPARATOR
        + "e\u0301te\u0301 \x02ﬁn\x03"
    )
    # A fragment that is not in the text (it cannot happen, but) is shown as PostgreSQL gave it.
    assert snippet("abc", "\x02xyz\x03") == "\x02xyz\x03"
