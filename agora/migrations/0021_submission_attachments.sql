-- Why: peer-review submissions carry attachments (issue 13, point 10: a PDF report, a photo of
-- handwritten work) through the same object store as the forum (agora.storage); these rows say
-- what each stored file is and whose submission it belongs to. No uploader leaves the context:
-- reviews are blind, so a reviewer's view of a file never names its author.
CREATE TABLE pr_submission_attachments (
    course_id       bigint NOT NULL REFERENCES courses (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    submission_id   bigint NOT NULL,
    uploader_id     bigint NOT NULL,
    object_key      text COLLATE "C" NOT NULL,
    filename        text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type    text NOT NULL,
    size_bytes      bigint NOT NULL CHECK (size_bytes > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, id),
    UNIQUE (course_id, object_key),
    FOREIGN KEY (course_id, submission_id) REFERENCES pr_submissions (course_id, id)
);
CREATE INDEX pr_submission_attachments_submission
    ON pr_submission_attachments (course_id, submission_id, id);
CREATE INDEX pr_submission_attachments_uploader
    ON pr_submission_attachments (course_id, uploader_id) INCLUDE (size_bytes);
