-- Why: teams from the LMS's groups (issue 13.8). A platform offering the LTI Course Groups
-- service names its groups endpoints in the launch (claim lti-gs groupsservice); the roster sync
-- job reads the groups (and their sets) and, from the NRPS members' group_enrollments, who is in
-- which, into a snapshot per course. An instructor then builds a team assignment's teams from one
-- group set without Agora calling the LMS inside the request. Rows a sync no longer sees are
-- deleted at its end (synced_at older than the sync's start).
ALTER TABLE lti_course_services
    ADD COLUMN groups_url       text,
    ADD COLUMN group_sets_url   text,
    ADD COLUMN groups_synced_at timestamptz;

CREATE TABLE lti_groups (
    course_id   bigint NOT NULL REFERENCES courses (id),
    group_key   text NOT NULL,           -- the platform's group id
    name        text NOT NULL,
    set_key     text NOT NULL DEFAULT '',  -- '' when the platform gives no set
    set_name    text NOT NULL DEFAULT '',
    synced_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (course_id, group_key)
);

CREATE TABLE lti_group_members (
    course_id   bigint NOT NULL,
    group_key   text NOT NULL,
    user_id     bigint NOT NULL REFERENCES users (id),
    synced_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (course_id, group_key, user_id),
    FOREIGN KEY (course_id, group_key) REFERENCES lti_groups (course_id, group_key)
        ON DELETE CASCADE
);
