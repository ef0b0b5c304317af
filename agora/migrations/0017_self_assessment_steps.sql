-- Why: assessment steps as in ORA2 (issue 13.1): peer review and self-assessment each switched on
-- per assignment, and the grade combines them by instructor-set weights. The learner's
-- self-assessment of their own submission is kept beside the reviews; a grade row keeps the peer
-- model's estimate (peer_estimate) and the self-assessed total, and `estimate` becomes what the
-- steps give together (the peer estimate when only peer review counts), so `final_score` (the
-- override, else the estimate) needs no new expression. Criterion weights and comment-only
-- criteria live in the rubric JSON.

ALTER TABLE pr_assignments
    ADD COLUMN peer_review     boolean NOT NULL DEFAULT true,
    ADD COLUMN self_assessment boolean NOT NULL DEFAULT false,
    ADD COLUMN peer_weight     double precision NOT NULL DEFAULT 1
        CHECK (peer_weight BETWEEN 0 AND 100),
    ADD COLUMN self_weight     double precision NOT NULL DEFAULT 0
        CHECK (self_weight BETWEEN 0 AND 100);

CREATE TABLE pr_self_assessments (
    course_id       bigint NOT NULL REFERENCES courses (id),
    submission_id   bigint NOT NULL,
    assignment_id   bigint NOT NULL,
    user_id         bigint NOT NULL,   -- who assessed (the author, or a teammate)
    choices         integer[] NOT NULL,
    scores          double precision[] NOT NULL,
    total           double precision NOT NULL,
    criterion_comments text[] NOT NULL DEFAULT '{}',
    comment         text NOT NULL DEFAULT '',
    comment_html    text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, submission_id),
    FOREIGN KEY (course_id, submission_id) REFERENCES pr_submissions (course_id, id)
        ON DELETE CASCADE
);
CREATE INDEX pr_self_assessments_assignment
    ON pr_self_assessments (course_id, assignment_id, submission_id);

ALTER TABLE pr_grades
    ADD COLUMN peer_estimate double precision,
    ADD COLUMN self_score    double precision;
UPDATE pr_grades SET peer_estimate = estimate WHERE estimate IS NOT NULL;
