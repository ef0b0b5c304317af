-- Why: the LTI 1.3 Advantage tool: our signing keys, the resource links a platform launches into
-- (with their AGS endpoints), per-course service endpoints (NRPS), AGS line items and the state of
-- every score passback, plus the tables of the dev-only LMS (a platform in miniature).

-- Tool signing keys (global). The newest key with retired_at NULL signs; a retired key stays
-- published in the JWKS until not_after so platforms holding cached copies keep verifying.
CREATE TABLE lti_tool_keys (
    kid             text PRIMARY KEY,
    private_pem     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    retired_at      timestamptz,
    not_after       timestamptz
);

-- A resource link is one placement of Agora in a course; what it opens (target) comes from its
-- custom parameters or from what deep linking put there.
CREATE TABLE lti_resource_links (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    resource_link_id text NOT NULL,
    title           text NOT NULL DEFAULT '',
    custom          jsonb NOT NULL DEFAULT '{}',
    target_kind     text NOT NULL DEFAULT 'forum'
                    CHECK (target_kind IN ('forum', 'board', 'thread', 'assignment')),
    target_id       bigint,
    lineitems_url   text,
    lineitem_url    text,
    ags_scopes      text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    UNIQUE (course_id, resource_link_id)
);
CREATE INDEX lti_resource_links_ags ON lti_resource_links (course_id, updated_at DESC)
    WHERE lineitems_url IS NOT NULL;

-- Course-level service endpoints seen at launch (NRPS) and the roster sync bookkeeping.
CREATE TABLE lti_course_services (
    course_id           bigint PRIMARY KEY REFERENCES courses (id),
    nrps_url            text,
    nrps_requested_at   timestamptz,
    nrps_synced_at      timestamptz,
    nrps_last_error     text,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- AGS line items we found or created, by our resourceId.
CREATE TABLE lti_line_items (
    course_id       bigint NOT NULL REFERENCES courses (id),
    resource_id     text NOT NULL,
    lineitems_url   text NOT NULL,
    lineitem_url    text NOT NULL,
    label           text NOT NULL DEFAULT '',
    score_maximum   double precision NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, resource_id)
);

-- One row per (course, resource, user): the latest score to publish and how that went. A newer
-- score replaces a pending one; `version` lets a job tell whether its row was replaced meanwhile.
CREATE TABLE lti_score_passbacks (
    course_id       bigint NOT NULL REFERENCES courses (id),
    resource_id     text NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id),
    label           text NOT NULL DEFAULT '',
    score_maximum   double precision NOT NULL CHECK (score_maximum > 0),
    score_given     double precision NOT NULL CHECK (score_given >= 0),
    comment         text NOT NULL DEFAULT '',
    score_timestamp timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed', 'no_endpoint')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    version         bigint NOT NULL DEFAULT 1,
    sent_at         timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, resource_id, user_id)
);
CREATE INDEX lti_score_passbacks_user ON lti_score_passbacks (user_id);

-- ---- dev LMS (only used when AGORA_DEV=1): the platform side of its gradebook and links ----

CREATE TABLE devlms_links (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title           text NOT NULL,
    custom          jsonb NOT NULL DEFAULT '{}',
    line_item       jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devlms_lineitems (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    context_id      text NOT NULL,
    label           text NOT NULL,
    score_maximum   double precision NOT NULL,
    resource_id     text NOT NULL DEFAULT '',
    resource_link_id text NOT NULL DEFAULT '',
    tag             text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devlms_scores (
    lineitem_id     bigint NOT NULL REFERENCES devlms_lineitems (id) ON DELETE CASCADE,
    user_sub        text NOT NULL,
    score_given     double precision,
    score_maximum   double precision,
    comment         text NOT NULL DEFAULT '',
    activity_progress text NOT NULL,
    grading_progress text NOT NULL,
    score_timestamp timestamptz NOT NULL,
    PRIMARY KEY (lineitem_id, user_sub)
);
