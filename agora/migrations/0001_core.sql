-- Why: the tenancy every other table hangs from: LMS platforms and their deployments, courses
-- (LTI contexts), users, course memberships with roles, launch sessions, and the outbox that
-- carries side effects to the job queue in the same transaction as the change.

CREATE TABLE platforms (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer          text NOT NULL,
    client_id       text NOT NULL,
    name            text NOT NULL DEFAULT '',
    auth_login_url  text NOT NULL,
    auth_token_url  text NOT NULL,
    jwks_url        text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, client_id)
);

CREATE TABLE deployments (
    platform_id     bigint NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    deployment_id   text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, deployment_id)
);

-- A course is the tenant: under Citus every course-scoped table is distributed by course_id,
-- and this table by id.
CREATE TABLE courses (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform_id     bigint NOT NULL REFERENCES platforms (id),
    deployment_id   text NOT NULL,
    context_id      text NOT NULL,
    title           text NOT NULL DEFAULT '',
    label           text NOT NULL DEFAULT '',
    language        text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr')),
    settings        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform_id, context_id)
);

CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform_id     bigint NOT NULL REFERENCES platforms (id),
    sub             text NOT NULL,
    name            text NOT NULL DEFAULT '',
    given_name      text NOT NULL DEFAULT '',
    family_name     text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    locale          text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform_id, sub)
);

CREATE TABLE memberships (
    course_id       bigint NOT NULL REFERENCES courses (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    role            text NOT NULL CHECK (role IN ('instructor', 'ta', 'learner')),
    lti_roles       text[] NOT NULL DEFAULT '{}',
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Sessions are looked up by the hash of their token alone, so the table is global (a reference
-- table under Citus); the token itself is never stored.
CREATE TABLE sessions (
    token_hash      bytea PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    course_id       bigint NOT NULL REFERENCES courses (id),
    role            text NOT NULL CHECK (role IN ('instructor', 'ta', 'learner')),
    locale          text NOT NULL DEFAULT 'en',
    target          jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Side effects (notifications, live events, grade passback) written in the same transaction as
-- the change they follow, then relayed to the arq queue by the worker.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id       bigint,
    job             text NOT NULL,
    args            jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL DEFAULT now(),
    relayed_at      timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text
);
CREATE INDEX outbox_pending ON outbox (id) WHERE relayed_at IS NULL;
