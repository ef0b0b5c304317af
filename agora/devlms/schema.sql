-- Why: the dev LMS's own tables (links added by deep linking, AGS line items and scores), created
-- only where the dev LMS runs (AGORA_DEV=1), never by the production migrations. Idempotent.

CREATE TABLE IF NOT EXISTS devlms_links (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title           text NOT NULL,
    custom          jsonb NOT NULL DEFAULT '{}',
    line_item       jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS devlms_lineitems (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    context_id      text NOT NULL,
    label           text NOT NULL,
    score_maximum   double precision NOT NULL,
    resource_id     text NOT NULL DEFAULT '',
    resource_link_id text NOT NULL DEFAULT '',
    tag             text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS devlms_scores (
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
