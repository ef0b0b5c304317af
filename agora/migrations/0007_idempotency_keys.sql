-- Why: a client that lost the answer to a create (PostgreSQL restarted, a proxy timed out) can
-- retry it with the same Idempotency-Key and get the first answer back instead of a second thread,
-- post or submission. The key and the answer are stored in the transaction of the write, so they
-- commit (or vanish) together; rows older than a day are pruned by the worker.

CREATE TABLE idempotency_keys (
    course_id       bigint NOT NULL REFERENCES courses (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    -- sha256 of method, path and body: the same key with another request is refused.
    fingerprint     bytea NOT NULL,
    status          smallint NOT NULL DEFAULT 0,   -- 0 until the answer is stored
    response        bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, user_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
