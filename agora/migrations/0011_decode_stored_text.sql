-- Why: until this version, plain-text fields (titles, names, reasons, rubric labels...) were
-- stored HTML-escaped by agora.markup.clean_text ("Is 3 &lt; 5 &amp; 7"), and the pages escaped
-- them again, so learners read the entities. clean_text now stores the text as it reads; this
-- decodes what the old one stored, in exactly the columns it wrote.
--
-- The old clean_text (bleach with no tags allowed) escaped only '<', '>' and '&' in text, so
-- these three are all there is to undo. '&amp;' goes last: a typed "&lt;" was stored as
-- "&amp;lt;" and must come back as "&lt;", not "<". No tag can reappear: bleach had removed
-- the real ones, and a "<" that comes back is text, escaped once where it is shown.

CREATE FUNCTION pg_temp.agora_decode(value text) RETURNS text
    LANGUAGE sql IMMUTABLE RETURNS NULL ON NULL INPUT
    AS $$ SELECT replace(replace(replace(value, '&lt;', '<'), '&gt;', '>'), '&amp;', '&') $$;

UPDATE courses SET title = pg_temp.agora_decode(title), label = pg_temp.agora_decode(label)
 WHERE title LIKE '%&%' OR label LIKE '%&%';
UPDATE users
   SET name = pg_temp.agora_decode(name), given_name = pg_temp.agora_decode(given_name),
       family_name = pg_temp.agora_decode(family_name), email = pg_temp.agora_decode(email)
 WHERE name LIKE '%&%' OR given_name LIKE '%&%' OR family_name LIKE '%&%' OR email LIKE '%&%';

UPDATE forum_boards
   SET name = pg_temp.agora_decode(name), description = pg_temp.agora_decode(description)
 WHERE name LIKE '%&%' OR description LIKE '%&%';
UPDATE forum_threads
   SET title = pg_temp.agora_decode(title), state_reason = pg_temp.agora_decode(state_reason)
 WHERE title LIKE '%&%' OR state_reason LIKE '%&%';
UPDATE forum_posts SET title = pg_temp.agora_decode(title) WHERE title LIKE '%&%';
UPDATE forum_revisions
   SET title = pg_temp.agora_decode(title), reason = pg_temp.agora_decode(reason)
 WHERE title LIKE '%&%' OR reason LIKE '%&%';
UPDATE forum_flags SET note = pg_temp.agora_decode(note) WHERE note LIKE '%&%';
UPDATE forum_mod_actions SET reason = pg_temp.agora_decode(reason) WHERE reason LIKE '%&%';
UPDATE forum_restrictions SET reason = pg_temp.agora_decode(reason) WHERE reason LIKE '%&%';

UPDATE pr_assignments SET title = pg_temp.agora_decode(title) WHERE title LIKE '%&%';
-- Rubric labels live inside JSON strings; '<', '>' and '&' need no escaping in JSON, so
-- decoding the document's text keeps it valid JSON.
UPDATE pr_assignments SET rubric = pg_temp.agora_decode(rubric::text)::jsonb
 WHERE rubric::text LIKE '%&%';
UPDATE pr_team_members SET team = pg_temp.agora_decode(team) WHERE team LIKE '%&%';
UPDATE pr_calibration_examples SET explanation = pg_temp.agora_decode(explanation)
 WHERE explanation LIKE '%&%';
UPDATE pr_reviews
   SET flag_reason = pg_temp.agora_decode(flag_reason),
       criterion_comments = ARRAY(
           SELECT pg_temp.agora_decode(c)
             FROM unnest(criterion_comments) WITH ORDINALITY AS t (c, position)
            ORDER BY position)
 WHERE flag_reason LIKE '%&%' OR array_to_string(criterion_comments, ' ') LIKE '%&%';
UPDATE pr_grades SET override_reason = pg_temp.agora_decode(override_reason)
 WHERE override_reason LIKE '%&%';
UPDATE pr_regrade_requests SET reason = pg_temp.agora_decode(reason) WHERE reason LIKE '%&%';
