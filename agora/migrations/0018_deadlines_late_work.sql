-- Why: deadlines that act and late work (issue 13.2, 13.3): each assignment's schedule (when the
-- worker opens it and releases its grades; the submission and review deadlines already exist) and
-- late-work policy (grace, a penalty per day late with a cap, late work accepted or not), staff's
-- per-learner extensions, deadline reminders (in-app, emailed once), and the late penalty carried
-- into the final score (an override still wins).

CREATE TABLE pr_schedules (
    course_id       bigint NOT NULL REFERENCES courses (id),
    assignment_id   bigint NOT NULL,
    opens_at        timestamptz,            -- draft → submission
    release_at      timestamptz,            -- grading → released (once graded)
    grace_minutes   integer NOT NULL DEFAULT 0 CHECK (grace_minutes BETWEEN 0 AND 10080),
    accept_late     boolean NOT NULL DEFAULT false,
    penalty_per_day double precision NOT NULL DEFAULT 0 CHECK (penalty_per_day BETWEEN 0 AND 100),
    penalty_max     double precision NOT NULL DEFAULT 100 CHECK (penalty_max BETWEEN 0 AND 100),
    remind_hours    integer NOT NULL DEFAULT 24 CHECK (remind_hours BETWEEN 0 AND 336),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, assignment_id),
    FOREIGN KEY (course_id, assignment_id) REFERENCES pr_assignments (course_id, id)
        ON DELETE CASCADE
);

CREATE TABLE pr_extensions (
    course_id       bigint NOT NULL REFERENCES courses (id),
    assignment_id   bigint NOT NULL,
    user_id         bigint NOT NULL,
    due_at          timestamptz NOT NULL,
    reason          text NOT NULL DEFAULT '',
    granted_by      bigint NOT NULL,
    granted_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, assignment_id, user_id),
    FOREIGN KEY (course_id, assignment_id) REFERENCES pr_assignments (course_id, id)
        ON DELETE CASCADE
);

-- One reminder per learner, deadline and due time: the unique key makes the cron's insert a no-op
-- when run again.
CREATE TABLE pr_reminders (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    assignment_id   bigint NOT NULL,
    user_id         bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('submission', 'review')),
    due_at          timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    read_at         timestamptz,
    emailed_at      timestamptz,
    PRIMARY KEY (course_id, id),
    UNIQUE (course_id, assignment_id, user_id, kind, due_at),
    FOREIGN KEY (course_id, assignment_id) REFERENCES pr_assignments (course_id, id)
        ON DELETE CASCADE
);
CREATE INDEX pr_reminders_unread ON pr_reminders (course_id, user_id, id) WHERE read_at IS NULL;
CREATE INDEX pr_reminders_unsent ON pr_reminders (course_id, assignment_id, id)
    WHERE emailed_at IS NULL;

-- The worker's scan: assignments whose next switch may be due.
CREATE INDEX pr_assignments_submission_due ON pr_assignments (submission_deadline)
    WHERE phase = 'submission';
CREATE INDEX pr_assignments_review_due ON pr_assignments (review_deadline)
    WHERE phase = 'review';

ALTER TABLE pr_grades
    ADD COLUMN late_penalty double precision NOT NULL DEFAULT 0
        CHECK (late_penalty BETWEEN 0 AND 1);
ALTER TABLE pr_grades DROP COLUMN final_score;
ALTER TABLE pr_grades ADD COLUMN final_score double precision
    GENERATED ALWAYS AS (COALESCE(override_score, estimate * (1 - late_penalty))) STORED;
