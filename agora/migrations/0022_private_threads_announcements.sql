-- Why: private threads and announcements (issue 12, points 5 and 6): a thread seen by staff and
-- one learner only (a learner's private question, or staff writing to one learner); pinned staff
-- announcements notifying every member, fanned out in batches whose progress row makes a retried
-- batch a no-op. Numbered after 0015, which rewrites the notification kinds.

ALTER TABLE forum_threads
    ADD COLUMN private_to   bigint,  -- a user id (like author_id); NULL: the whole course sees it
    ADD COLUMN announcement boolean NOT NULL DEFAULT false;
CREATE INDEX forum_threads_private ON forum_threads (course_id, private_to)
    WHERE private_to IS NOT NULL;

-- Add 'announcement' to whatever kinds the constraints allow now (other migrations add kinds too).
DO $$
DECLARE
    target record;
    definition text;
BEGIN
    FOR target IN
        SELECT c.conrelid::regclass AS tab, c.conname
          FROM pg_constraint c
         WHERE c.conname IN ('forum_notifications_kind_check', 'forum_notification_prefs_kind_check')
    LOOP
        definition := pg_get_constraintdef(
            (SELECT oid FROM pg_constraint WHERE conname = target.conname
                AND conrelid = target.tab));
        IF position('''announcement''' IN definition) = 0 THEN
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', target.tab, target.conname);
            EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', target.tab, target.conname,
                           replace(definition, 'ARRAY[', 'ARRAY[''announcement''::text, '));
        END IF;
    END LOOP;
END $$;

-- One row per announcement fan-out: the batch jobs walk the members by user id from
-- after_user_id; a batch whose starting point is no longer after_user_id already ran.
CREATE TABLE forum_fanouts (
    course_id       bigint NOT NULL REFERENCES courses (id),
    post_id         bigint NOT NULL,
    after_user_id   bigint NOT NULL DEFAULT 0,
    batches         integer NOT NULL DEFAULT 0,
    notified        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz,
    PRIMARY KEY (course_id, post_id),
    FOREIGN KEY (course_id, post_id) REFERENCES forum_posts (course_id, id)
);
