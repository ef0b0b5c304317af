-- Why: files on forum posts (issue 12, point 7) and remote images in Markdown fetched once by
-- Agora and served from its own origin (point 8); the bytes live in the object store
-- (agora.storage), these rows say what each object is and who may have it.

-- An attachment of a post. The uploader is the post's author (or a staff member who attached a
-- file to it): it never leaves the forum, so an anonymous post's files cannot name their author.
CREATE TABLE forum_attachments (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    post_id         bigint NOT NULL,
    uploader_id     bigint NOT NULL,
    object_key      text COLLATE "C" NOT NULL,
    filename        text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type    text NOT NULL,
    size_bytes      bigint NOT NULL CHECK (size_bytes > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    UNIQUE (course_id, object_key),
    FOREIGN KEY (course_id, post_id) REFERENCES forum_posts (course_id, id)
);
-- A page of posts' attachments in one range scan; a member's quota as one index sum.
CREATE INDEX forum_attachments_post ON forum_attachments (course_id, post_id, id);
CREATE INDEX forum_attachments_uploader ON forum_attachments (course_id, uploader_id)
    INCLUDE (size_bytes);

-- Remote images named in rendered Markdown, keyed by the SHA-256 of their URL. Rendering
-- rewrites <img src> to /media/remote/<digest>; the proxy fetches only URLs recorded here by a
-- write (so it is no open fetcher). Global (not course-scoped): the same image is fetched and
-- stored once for every course that shows it; a reference table under Citus.
CREATE TABLE remote_images (
    digest          text COLLATE "C" PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
    url             text NOT NULL,
    content_type    text NOT NULL DEFAULT '',
    size_bytes      bigint NOT NULL DEFAULT 0,
    failure         text NOT NULL DEFAULT '',
    fetched_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
