-- Why: forum_threads.private_to names a user like author_id does, without a foreign key to the
-- global users table (the Citus rule: a course-scoped table's keys include course_id). 0022 as
-- first committed declared one; databases that applied it lose it here, others never had it.
ALTER TABLE forum_threads DROP CONSTRAINT IF EXISTS forum_threads_private_to_fkey;
