-- Why: staff find learners by name in lists that reach 160,000 rows (peer-review grades,
-- waiting learners, grade passback, the moderation log's learner filter), and filter the
-- moderation log by action and by moderator. A search matches the start of a name, family name
-- or email in any case (agora.names.like_prefix): lower(...) with text_pattern_ops makes that
-- LIKE 'prefix%' an index range scan under any collation. pg_trgm would also allow matches
-- inside a name, but the embedded PostgreSQL does not ship it.

CREATE INDEX users_name_prefix ON users (lower(name) text_pattern_ops);
CREATE INDEX users_family_name_prefix ON users (lower(family_name) text_pattern_ops);
CREATE INDEX users_email_prefix ON users (lower(email) text_pattern_ops);

CREATE INDEX forum_mod_actions_action ON forum_mod_actions (course_id, action, id);
CREATE INDEX forum_mod_actions_actor ON forum_mod_actions (course_id, actor_id, id);
