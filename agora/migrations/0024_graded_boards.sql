-- Why: graded discussion (issue 12.10): an instructor may grade participation in a board, as Moodle's
-- forum grading and Canvas's graded discussions do. 'count': full points for at least
-- min_threads threads and min_replies replies written in [opens_at, closes_at), partial points
-- in proportion below that; 'staff': instructors and TAs give each learner a score. Scores go to
-- the LMS gradebook through AGS (agora.lti.ags), line item 'board-<id>'.
CREATE TABLE forum_board_grading (
    course_id       bigint NOT NULL,
    board_id        bigint NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('count', 'staff')),
    points          double precision NOT NULL CHECK (points > 0 AND points <= 1000),
    min_threads     integer NOT NULL DEFAULT 0 CHECK (min_threads BETWEEN 0 AND 1000),
    min_replies     integer NOT NULL DEFAULT 0 CHECK (min_replies BETWEEN 0 AND 1000),
    opens_at        timestamptz,
    closes_at       timestamptz,
    updated_by      bigint NOT NULL,  -- a user id (no FK: the Citus rule, as created_by)
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, board_id),
    FOREIGN KEY (course_id, board_id) REFERENCES forum_boards (course_id, id),
    CHECK (mode = 'staff' OR min_threads + min_replies > 0),
    CHECK (opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at)
);

-- Scores staff gave ('staff' mode), one per learner and board.
CREATE TABLE forum_board_scores (
    course_id       bigint NOT NULL,
    board_id        bigint NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id),
    score           double precision NOT NULL CHECK (score >= 0),
    comment         text NOT NULL DEFAULT '',
    graded_by       bigint NOT NULL,  -- a user id (no FK: the Citus rule)
    graded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, board_id, user_id),
    FOREIGN KEY (course_id, board_id) REFERENCES forum_board_grading (course_id, board_id)
        ON DELETE CASCADE
);
