-- Why: participation evidence (issue 12.9): a snapshot a funder or a certification audit can check.
-- Staff ask for a date range; the worker builds the per-learner table and the raw log once,
-- keeps them gzip-compressed here with the SHA-256 of each file and a JWT signed by Agora's key
-- over those digests, so every later download is byte-for-byte the file that was signed.
CREATE TABLE evidence_exports (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    requested_by    bigint NOT NULL,  -- a user id (no FK: the Citus rule, as created_by)
    from_at         timestamptz NOT NULL,
    to_at           timestamptz NOT NULL CHECK (to_at > from_at),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'ready', 'failed')),
    error           text NOT NULL DEFAULT '',
    learners        integer NOT NULL DEFAULT 0,
    events          integer NOT NULL DEFAULT 0,
    -- The learners file's columns [[key, header], ...] and each numeric column's course total.
    columns         jsonb NOT NULL DEFAULT '[]',
    totals          jsonb NOT NULL DEFAULT '{}',
    learners_csv_gz bytea,
    log_csv_gz      bytea,
    learners_sha256 text NOT NULL DEFAULT '',
    log_sha256      text NOT NULL DEFAULT '',
    signature       text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    built_at        timestamptz,
    PRIMARY KEY (course_id, id)
);
CREATE INDEX evidence_exports_recent ON evidence_exports (course_id, id DESC);
