-- Why: grading the graders (issue 13.4). Each grading run scores every reviewer's reviews (agreement
-- with the fitted grades, calibration accuracy, helpfulness ratings received: see
-- peerreview/review_quality.py) and keeps the parts so a learner can read how their score came
-- about; an instructor-set share of the grade (0-100 %, 0 by default) makes it count, and each
-- grade keeps the review-quality score it includes.

ALTER TABLE pr_assignments
    ADD COLUMN review_quality_weight double precision NOT NULL DEFAULT 0
        CHECK (review_quality_weight BETWEEN 0 AND 100);

ALTER TABLE pr_grades ADD COLUMN review_quality double precision;

CREATE TABLE pr_review_quality (
    course_id       bigint NOT NULL REFERENCES courses (id),
    assignment_id   bigint NOT NULL,
    user_id         bigint NOT NULL,
    score           double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
    -- each component 0-1 after shrinkage (NULL: left out for the whole assignment), with the
    -- observations it rests on and their raw mean (points off, or the mean rating; NULL: none)
    agreement       double precision,
    n_reviews       integer NOT NULL DEFAULT 0,
    mean_deviation  double precision,
    calibration     double precision,
    n_calibration   integer NOT NULL DEFAULT 0,
    calibration_deviation double precision,
    helpfulness     double precision,
    n_rated         integer NOT NULL DEFAULT 0,
    mean_rating     double precision,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, assignment_id, user_id),
    FOREIGN KEY (course_id, assignment_id) REFERENCES pr_assignments (course_id, id)
        ON DELETE CASCADE
);
