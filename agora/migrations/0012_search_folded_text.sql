-- Why: search finds "réchauffement" when "rechauffement" is typed and "cœur" for "coeur" (issue
-- 12.4), without the unaccent extension (the embedded PostgreSQL ships no contrib), and it
-- indexes the text readers see (the rendered HTML without tags and TeX), not the Markdown source.
--
-- agora_fold removes accents the way unaccent would: Unicode compatibility decomposition (NFKD:
-- "é" becomes "e" + a combining accent, "ﬁ" becomes "fi"), the combining marks dropped, and the
-- letters NFKD leaves whole spelled out ("œ" → "oe", "ß" → "ss", "ø" → "o"). It needs a UTF8
-- database, as normalize() does. Accented capitals fold to ASCII, which to_tsvector lowercases
-- under any collation (under the C collation it lowercases ASCII only). forum.service.search.fold
-- folds the same way in Python, character by character, to map snippets back to the original
-- text; a test holds the two together. Both sides of a match are folded: the documents here, the
-- query in forum.queries.search.

CREATE FUNCTION agora_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT translate(
        replace(replace(replace(replace(replace(
            regexp_replace(normalize(value, NFKD), '[\u0300-\u036f]', '', 'g'),
            'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'), 'ß', 'ss'),
        'øØłŁđĐ', 'oOlLdD')
    $$;

-- The text of stored (bleach-cleaned) post HTML: math spans and blocks (their TeX source) left
-- out, block tags become spaces, inline tags vanish ("**ré**chauffement" stays one word), the
-- entities bleach writes decoded, whitespace collapsed.
CREATE FUNCTION agora_html_text(html text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT btrim(regexp_replace(
        replace(replace(replace(replace(replace(
            regexp_replace(
                regexp_replace(
                    regexp_replace(html, '<(span|div) class="math[^"]*">[^<]*</(span|div)>',
                                   ' ', 'g'),
                    '</?(p|div|br|hr|li|ul|ol|h[1-6]|blockquote|pre|table|thead|tbody|tr|td|th)\M[^>]*>',
                    ' ', 'g'),
                '<[^>]*>', '', 'g'),
            '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#x27;', ''''), '&amp;', '&'),
        '\s+', ' ', 'g'))
    $$;

-- The search document of a post: the thread title on opening posts (weight A), then the
-- rendered text (weight B), both folded. A generated column, so every way a post is written
-- (replies, edits, imports, COPY in the benchmark) keeps it current.
DROP INDEX forum_posts_search;
ALTER TABLE forum_posts DROP COLUMN search_vector;
ALTER TABLE forum_posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(search_config, agora_fold(coalesce(title, ''))), 'A')
    || setweight(to_tsvector(search_config, agora_fold(agora_html_text(body_html))), 'B')) STORED;
CREATE INDEX forum_posts_search ON forum_posts USING gin (search_vector);

-- Similar titles while typing, folded too.
DROP INDEX forum_threads_title_fts;
ALTER TABLE forum_threads DROP COLUMN title_vector;
ALTER TABLE forum_threads ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
    to_tsvector(search_config, agora_fold(title))) STORED;
CREATE INDEX forum_threads_title_fts ON forum_threads USING gin (title_vector);
