-- Why: moderation that holds and notifications people control (issue 12, points 2 and 3):
-- staff redact a revision (text kept for staff with the reason); the audit log is found by its
-- target (has a moderator hidden this post by hand?); followers of any thread kind hear of
-- replies ('thread_reply'); preferences per member, course and kind; every digest sent is recorded
-- before it leaves, so a retried job never sends it twice.

ALTER TABLE forum_revisions
    ADD COLUMN redacted_by      bigint,
    ADD COLUMN redacted_at      timestamptz,
    ADD COLUMN redaction_reason text NOT NULL DEFAULT '';

CREATE INDEX forum_mod_actions_target
    ON forum_mod_actions (course_id, target_kind, target_id, id);

ALTER TABLE forum_notifications DROP CONSTRAINT forum_notifications_kind_check;
ALTER TABLE forum_notifications ADD CONSTRAINT forum_notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'answer', 'endorsement', 'new_thread', 'thread_reply'));

-- No row: the default (in-app and the email digest).
CREATE TABLE forum_notification_prefs (
    course_id       bigint NOT NULL REFERENCES courses (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    kind            text NOT NULL
        CHECK (kind IN ('reply', 'mention', 'answer', 'endorsement', 'new_thread', 'thread_reply')),
    delivery        text NOT NULL CHECK (delivery IN ('email', 'in_app', 'off')),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, user_id, kind)
);

-- One row per digest email, written (with its notifications marked emailed) and committed before
-- the SMTP conversation: a retry finds them emailed and sends nothing. status 'sending' that
-- never became 'sent' means the worker died mid-send (at most once, never twice).
CREATE TABLE forum_email_digests (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    user_id         bigint NOT NULL REFERENCES users (id),
    notification_ids bigint[] NOT NULL,
    message_id      text NOT NULL,
    status          text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'sent', 'failed')),
    error           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (course_id, id)
);
CREATE INDEX forum_email_digests_user ON forum_email_digests (course_id, user_id, id);

-- Installation secrets made at first use (agora.mail.signing_key signs unsubscribe links).
-- Global and tiny (a reference table under Citus).
CREATE TABLE app_secrets (
    name            text PRIMARY KEY,
    value           bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
