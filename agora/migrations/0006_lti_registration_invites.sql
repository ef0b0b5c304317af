-- Why: dynamic registration is no longer open to the world (issue 10): it needs a one-time invite
-- an administrator created (`agora platform invite`), stored only as a hash; and a platform may
-- name the other origins its pages live on (e.g. a Canvas school's host), where deep-linking
-- answers may be posted.

CREATE TABLE lti_registration_invites (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- sha256 of the token: a copy of the database does not give anyone a usable invite.
    token_hash      bytea NOT NULL UNIQUE,
    note            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    platform_id     bigint REFERENCES platforms (id) ON DELETE SET NULL
);

ALTER TABLE platforms ADD COLUMN origins text[] NOT NULL DEFAULT '{}';
