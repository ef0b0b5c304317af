"""forum.queries.search: similar titles without pg_trgm (the embedded server has none)."""

from __future__ import annotations

from forum.queries import search


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
