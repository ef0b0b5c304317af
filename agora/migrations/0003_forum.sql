-- Why: course forums: boards, threads, nested posts (materialised path), revisions, votes,
-- follows, read state, flags, moderation audit, restrictions and notifications, with full-text
-- search per course language and trigram "similar threads" where pg_trgm is installed.

-- pg_trgm ships with PostgreSQL's contrib, but not with every build (the embedded pgserver has
-- none): the extension and its index are created when available; forum.queries falls back to
-- full-text prefix matching on titles otherwise.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    END IF;
END
$$;

CREATE TABLE forum_boards (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    position        integer NOT NULL DEFAULT 0,
    is_default      boolean NOT NULL DEFAULT false,
    archived        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id)
);
CREATE UNIQUE INDEX forum_boards_one_default ON forum_boards (course_id) WHERE is_default;

CREATE TABLE forum_threads (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    board_id        bigint NOT NULL,
    author_id       bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('discussion', 'question', 'notes')),
    anonymity       text NOT NULL DEFAULT 'none' CHECK (anonymity IN ('none', 'peers', 'all')),
    title           text NOT NULL,
    search_config   regconfig NOT NULL DEFAULT 'english',
    title_vector    tsvector GENERATED ALWAYS AS (to_tsvector(search_config, title)) STORED,
    pinned          boolean NOT NULL DEFAULT false,
    locked          boolean NOT NULL DEFAULT false,
    closed          boolean NOT NULL DEFAULT false,
    state_reason    text NOT NULL DEFAULT '',
    hidden          boolean NOT NULL DEFAULT false,
    deleted         boolean NOT NULL DEFAULT false,
    post_first      boolean NOT NULL DEFAULT false,
    duplicate_of    bigint,
    answered        boolean NOT NULL DEFAULT false,
    -- Counters kept in the writing transaction.
    reply_count     integer NOT NULL DEFAULT 0,
    score           integer NOT NULL DEFAULT 0,
    open_flags      integer NOT NULL DEFAULT 0,
    post_seq        integer NOT NULL DEFAULT 0,   -- last sequence number handed to a post
    last_seq        integer NOT NULL DEFAULT 0,   -- sequence of the newest visible post
    -- clock_timestamp: several threads written in one transaction (imports, tests) still sort.
    last_activity_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (course_id, id),
    FOREIGN KEY (course_id, board_id) REFERENCES forum_boards (course_id, id),
    FOREIGN KEY (course_id, duplicate_of) REFERENCES forum_threads (course_id, id)
);
-- One index per sort, pinned threads first; (course_id, board_id, ...) for board pages.
CREATE INDEX forum_threads_activity ON forum_threads (course_id, pinned, last_activity_at, id);
CREATE INDEX forum_threads_new ON forum_threads (course_id, pinned, created_at, id);
CREATE INDEX forum_threads_votes ON forum_threads (course_id, pinned, score, id);
CREATE INDEX forum_threads_replies ON forum_threads (course_id, pinned, reply_count, id);
CREATE INDEX forum_threads_board_activity
    ON forum_threads (course_id, board_id, pinned, last_activity_at, id);
CREATE INDEX forum_threads_author ON forum_threads (course_id, author_id, id);
CREATE INDEX forum_threads_title_fts ON forum_threads USING gin (title_vector);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX forum_threads_title_trgm ON forum_threads USING gin (title gin_trgm_ops);
    END IF;
END
$$;

-- A thread's opening post is its root (parent_id NULL, depth 0). `path` is the parent's path
-- followed by this post's 8-hex-digit sequence number, so ordering by path (bytewise, COLLATE "C")
-- walks the tree depth-first with siblings in posting order: a page is one index range scan.
CREATE TABLE forum_posts (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    thread_id       bigint NOT NULL,
    parent_id       bigint,
    seq             integer NOT NULL,
    path            text COLLATE "C" NOT NULL,
    depth           integer NOT NULL,
    author_id       bigint NOT NULL,
    anonymity       text NOT NULL DEFAULT 'none' CHECK (anonymity IN ('none', 'peers', 'all')),
    title           text,          -- the thread title, on root posts only (search ranks it 'A')
    body            text NOT NULL,
    body_html       text NOT NULL,
    search_config   regconfig NOT NULL DEFAULT 'english',
    search_vector   tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector(search_config, coalesce(title, '')), 'A')
        || setweight(to_tsvector(search_config, body), 'B')) STORED,
    score           integer NOT NULL DEFAULT 0,
    reply_count     integer NOT NULL DEFAULT 0,
    endorsed        boolean NOT NULL DEFAULT false,
    endorsed_by     bigint,
    accepted        boolean NOT NULL DEFAULT false,
    deleted         boolean NOT NULL DEFAULT false,
    hidden          boolean NOT NULL DEFAULT false,
    hidden_reason   text NOT NULL DEFAULT '',
    edited_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (course_id, id),
    UNIQUE (course_id, thread_id, path),
    FOREIGN KEY (course_id, thread_id) REFERENCES forum_threads (course_id, id),
    FOREIGN KEY (course_id, parent_id) REFERENCES forum_posts (course_id, id)
);
-- Unread counts and the newest visible post: index-only scans (author_id: own posts never unread).
CREATE INDEX forum_posts_seq ON forum_posts (course_id, thread_id, seq) INCLUDE (author_id)
    WHERE NOT deleted AND NOT hidden;
CREATE INDEX forum_posts_author ON forum_posts (course_id, author_id, id);
CREATE INDEX forum_posts_search ON forum_posts USING gin (search_vector);

CREATE TABLE forum_revisions (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    post_id         bigint NOT NULL,
    editor_id       bigint NOT NULL,
    reason          text NOT NULL DEFAULT '',
    reason_code     text NOT NULL DEFAULT '',
    title           text,
    body            text NOT NULL,        -- the text before this edit
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    FOREIGN KEY (course_id, post_id) REFERENCES forum_posts (course_id, id)
);
CREATE INDEX forum_revisions_post ON forum_revisions (course_id, post_id, id);

CREATE TABLE forum_votes (
    course_id       bigint NOT NULL REFERENCES courses (id),
    post_id         bigint NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id),
    value           smallint NOT NULL CHECK (value = 1),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, post_id, user_id),
    FOREIGN KEY (course_id, post_id) REFERENCES forum_posts (course_id, id)
);
CREATE INDEX forum_votes_user ON forum_votes (course_id, user_id);

-- target_id is 0 for a follow of the whole course.
CREATE TABLE forum_follows (
    course_id       bigint NOT NULL REFERENCES courses (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    target_kind     text NOT NULL CHECK (target_kind IN ('thread', 'board', 'course')),
    target_id       bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, user_id, target_kind, target_id)
);
CREATE INDEX forum_follows_target ON forum_follows (course_id, target_kind, target_id);

-- read_seq: the highest post sequence number the user has seen in the thread.
CREATE TABLE forum_reads (
    course_id       bigint NOT NULL REFERENCES courses (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    thread_id       bigint NOT NULL,
    read_seq        integer NOT NULL DEFAULT 0,
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, user_id, thread_id),
    FOREIGN KEY (course_id, thread_id) REFERENCES forum_threads (course_id, id)
);

CREATE TABLE forum_flags (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    post_id         bigint NOT NULL,
    thread_id       bigint NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id),
    reason          text NOT NULL CHECK (reason IN ('spam', 'offensive', 'off_topic', 'other')),
    note            text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'hidden', 'dismissed')),
    resolved_by     bigint,
    resolved_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    UNIQUE (course_id, post_id, user_id),
    FOREIGN KEY (course_id, post_id) REFERENCES forum_posts (course_id, id)
);
CREATE INDEX forum_flags_open ON forum_flags (course_id, post_id) WHERE status = 'open';
CREATE INDEX forum_flags_thread ON forum_flags (course_id, thread_id) WHERE status = 'open';

CREATE TABLE forum_mod_actions (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    actor_id        bigint NOT NULL,
    action          text NOT NULL,
    target_kind     text NOT NULL,
    target_id       bigint NOT NULL,
    reason          text NOT NULL DEFAULT '',
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id)
);

-- mute: read-only; ban: no access to the forum. expires_at NULL means until lifted.
CREATE TABLE forum_restrictions (
    course_id       bigint NOT NULL REFERENCES courses (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    kind            text NOT NULL CHECK (kind IN ('mute', 'ban')),
    reason          text NOT NULL DEFAULT '',
    expires_at      timestamptz,
    created_by      bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, user_id, kind)
);

CREATE TABLE forum_notifications (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    user_id         bigint NOT NULL REFERENCES users (id),
    kind            text NOT NULL
        CHECK (kind IN ('reply', 'mention', 'answer', 'endorsement', 'new_thread')),
    thread_id       bigint NOT NULL,
    post_id         bigint NOT NULL,
    actor_id        bigint NOT NULL,  -- shown through the anonymity rule, never raw
    read_at         timestamptz,
    emailed_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    -- A job that runs twice notifies once.
    UNIQUE (course_id, user_id, kind, post_id),
    FOREIGN KEY (course_id, post_id) REFERENCES forum_posts (course_id, id)
);
CREATE INDEX forum_notifications_user ON forum_notifications (course_id, user_id, id);
CREATE INDEX forum_notifications_unemailed ON forum_notifications (course_id, user_id)
    WHERE emailed_at IS NULL AND read_at IS NULL;
