-- Why: peer review: assignments with rubrics and phases, teams, submissions, calibration examples
-- and answers, review allocations (batch and leased), reviews, the grader model's per-grader fit,
-- grades with confidence and overrides, and regrade requests. Every table is course-scoped.

CREATE TABLE pr_assignments (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    title           text NOT NULL,
    prompt          text NOT NULL DEFAULT '',
    prompt_html     text NOT NULL DEFAULT '',
    -- [{"name", "description", "comments": bool, "options": [{"label", "points"}]}]
    rubric          jsonb NOT NULL,
    points_possible double precision NOT NULL,
    reviews_per_submission integer NOT NULL CHECK (reviews_per_submission BETWEEN 1 AND 20),
    reviews_required integer NOT NULL CHECK (reviews_required BETWEEN 0 AND 50),
    calibration_required integer NOT NULL DEFAULT 0 CHECK (calibration_required BETWEEN 0 AND 20),
    phase           text NOT NULL DEFAULT 'draft'
                    CHECK (phase IN ('draft', 'submission', 'review', 'grading', 'released')),
    submission_deadline timestamptz,
    review_deadline timestamptz,
    allocation_mode text NOT NULL DEFAULT 'batch' CHECK (allocation_mode IN ('batch', 'dynamic')),
    grading_method  text NOT NULL DEFAULT 'calibrated'
                    CHECK (grading_method IN ('calibrated', 'median', 'mean')),
    team_submissions boolean NOT NULL DEFAULT false,
    lease_seconds   integer NOT NULL DEFAULT 3600 CHECK (lease_seconds BETWEEN 60 AND 604800),
    -- Extra reviewers an uncertain submission may get beyond reviews_per_submission.
    extra_reviews   integer NOT NULL DEFAULT 2 CHECK (extra_reviews BETWEEN 0 AND 10),
    allocation_seed bigint,
    allocated_at    timestamptz,
    graded_at       timestamptz,
    released_at     timestamptz,
    created_by      bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id)
);

-- Teams (LMS groups) per assignment: teammates never review each other.
CREATE TABLE pr_team_members (
    course_id       bigint NOT NULL REFERENCES courses (id),
    assignment_id   bigint NOT NULL,
    user_id         bigint NOT NULL,
    team            text NOT NULL,
    PRIMARY KEY (course_id, assignment_id, user_id),
    FOREIGN KEY (course_id, assignment_id) REFERENCES pr_assignments (course_id, id)
        ON DELETE CASCADE
);
CREATE INDEX pr_team_members_team ON pr_team_members (course_id, assignment_id, team);

CREATE TABLE pr_submissions (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    assignment_id   bigint NOT NULL,
    -- 'u:<user id>' for individual work, 't:<team>' for team work: one submission per owner.
    owner_key       text NOT NULL,
    author_id       bigint NOT NULL,
    team            text,
    body            text NOT NULL,
    body_html       text NOT NULL,
    -- Completed plus live (leased or assigned) reviews: the dynamic allocator's "load".
    review_load     integer NOT NULL DEFAULT 0,
    reviews_done    integer NOT NULL DEFAULT 0,
    uncertain       boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    UNIQUE (course_id, assignment_id, owner_key),
    FOREIGN KEY (course_id, assignment_id) REFERENCES pr_assignments (course_id, id)
        ON DELETE CASCADE
);
-- The dynamic allocator's scan: least loaded first.
CREATE INDEX pr_submissions_load ON pr_submissions (course_id, assignment_id, review_load, id);
CREATE INDEX pr_submissions_uncertain ON pr_submissions (course_id, assignment_id, review_load, id)
    WHERE uncertain;
CREATE INDEX pr_submissions_author ON pr_submissions (course_id, assignment_id, author_id);

CREATE TABLE pr_calibration_examples (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    assignment_id   bigint NOT NULL,
    body            text NOT NULL,
    body_html       text NOT NULL,
    choices         integer[] NOT NULL,   -- reference option index per criterion
    scores          double precision[] NOT NULL,
    total           double precision NOT NULL,
    explanation     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    FOREIGN KEY (course_id, assignment_id) REFERENCES pr_assignments (course_id, id)
        ON DELETE CASCADE
);
CREATE INDEX pr_calibration_examples_assignment
    ON pr_calibration_examples (course_id, assignment_id, id);

CREATE TABLE pr_calibration_answers (
    course_id       bigint NOT NULL REFERENCES courses (id),
    example_id      bigint NOT NULL,
    user_id         bigint NOT NULL,
    assignment_id   bigint NOT NULL,
    choices         integer[] NOT NULL,
    scores          double precision[] NOT NULL,
    total           double precision NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, example_id, user_id),
    FOREIGN KEY (course_id, example_id) REFERENCES pr_calibration_examples (course_id, id)
        ON DELETE CASCADE
);
CREATE INDEX pr_calibration_answers_user
    ON pr_calibration_answers (course_id, assignment_id, user_id);

CREATE TABLE pr_allocations (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    assignment_id   bigint NOT NULL,
    submission_id   bigint NOT NULL,
    reviewer_id     bigint NOT NULL,
    source          text NOT NULL CHECK (source IN ('batch', 'dynamic', 'manual')),
    -- assigned: batch/manual, no expiry; leased: dynamic, until lease_expires_at.
    state           text NOT NULL
                    CHECK (state IN ('assigned', 'leased', 'completed', 'expired', 'cancelled')),
    lease_expires_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    PRIMARY KEY (course_id, id),
    FOREIGN KEY (course_id, submission_id) REFERENCES pr_submissions (course_id, id)
        ON DELETE CASCADE
);
-- Never the same pair twice while it counts; at most one live lease per reviewer.
CREATE UNIQUE INDEX pr_allocations_pair ON pr_allocations
    (course_id, assignment_id, reviewer_id, submission_id)
    WHERE state IN ('assigned', 'leased', 'completed');
CREATE UNIQUE INDEX pr_allocations_one_lease ON pr_allocations
    (course_id, assignment_id, reviewer_id) WHERE state = 'leased';
CREATE INDEX pr_allocations_reviewer ON pr_allocations
    (course_id, assignment_id, reviewer_id, state);
CREATE INDEX pr_allocations_expiry ON pr_allocations (course_id, assignment_id, lease_expires_at)
    WHERE state = 'leased';
CREATE INDEX pr_allocations_submission ON pr_allocations (course_id, submission_id);

CREATE TABLE pr_reviews (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    assignment_id   bigint NOT NULL,
    submission_id   bigint NOT NULL,
    reviewer_id     bigint NOT NULL,
    allocation_id   bigint,
    by_staff        boolean NOT NULL DEFAULT false,
    choices         integer[] NOT NULL,
    scores          double precision[] NOT NULL,
    total           double precision NOT NULL,
    criterion_comments text[] NOT NULL DEFAULT '{}',
    comment         text NOT NULL DEFAULT '',
    comment_html    text NOT NULL DEFAULT '',
    helpfulness     smallint CHECK (helpfulness BETWEEN 1 AND 5),
    flagged         boolean NOT NULL DEFAULT false,
    flag_reason     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    UNIQUE (course_id, assignment_id, submission_id, reviewer_id),
    FOREIGN KEY (course_id, submission_id) REFERENCES pr_submissions (course_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (course_id, allocation_id) REFERENCES pr_allocations (course_id, id)
);
CREATE INDEX pr_reviews_assignment ON pr_reviews (course_id, assignment_id, id);
CREATE INDEX pr_reviews_reviewer ON pr_reviews (course_id, assignment_id, reviewer_id);

-- The grader model's fit, per assignment and grader (for the instructor's view of suspects).
CREATE TABLE pr_grader_stats (
    course_id       bigint NOT NULL REFERENCES courses (id),
    assignment_id   bigint NOT NULL,
    user_id         bigint NOT NULL,
    bias            double precision NOT NULL,
    reliability     double precision,
    suspect         boolean NOT NULL DEFAULT false,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, assignment_id, user_id),
    FOREIGN KEY (course_id, assignment_id) REFERENCES pr_assignments (course_id, id)
        ON DELETE CASCADE
);

CREATE TABLE pr_grades (
    course_id       bigint NOT NULL REFERENCES courses (id),
    submission_id   bigint NOT NULL,
    assignment_id   bigint NOT NULL,
    estimate        double precision,
    criteria        double precision[] NOT NULL DEFAULT '{}',
    confidence      double precision,
    method          text NOT NULL,
    n_reviews       integer NOT NULL DEFAULT 0,
    spread          double precision NOT NULL DEFAULT 0,
    doubt           double precision NOT NULL DEFAULT 0,
    doubtful        boolean NOT NULL DEFAULT false,
    override_score  double precision,
    override_reason text NOT NULL DEFAULT '',
    overridden_by   bigint,
    overridden_at   timestamptz,
    -- What learners and the LMS get: an override always wins.
    final_score     double precision GENERATED ALWAYS AS (COALESCE(override_score, estimate)) STORED,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    released_at     timestamptz,
    PRIMARY KEY (course_id, submission_id),
    FOREIGN KEY (course_id, submission_id) REFERENCES pr_submissions (course_id, id)
        ON DELETE CASCADE
);
CREATE INDEX pr_grades_assignment ON pr_grades (course_id, assignment_id, submission_id);
-- The instructor queue: doubtful, not yet overridden, most doubtful first.
CREATE INDEX pr_grades_doubt ON pr_grades (course_id, assignment_id, doubt DESC, submission_id)
    WHERE doubtful AND override_score IS NULL;

CREATE TABLE pr_regrade_requests (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    assignment_id   bigint NOT NULL,
    submission_id   bigint NOT NULL,
    requester_id    bigint NOT NULL,
    reason          text NOT NULL,
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    response        text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz,
    PRIMARY KEY (course_id, id),
    FOREIGN KEY (course_id, submission_id) REFERENCES pr_submissions (course_id, id)
        ON DELETE CASCADE
);
CREATE UNIQUE INDEX pr_regrade_one_open ON pr_regrade_requests (course_id, submission_id)
    WHERE state = 'open';
CREATE INDEX pr_regrade_assignment ON pr_regrade_requests (course_id, assignment_id, state, id);
