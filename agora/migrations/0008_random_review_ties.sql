-- Why: "reviews/next" breaks ties among the least-reviewed submissions at random, so a group
-- cannot predict or steer which submission a reviewer gets (ties went to the lowest id). Each
-- submission gets a random pick key; a request starts at a random point of the keys of the
-- least-loaded submissions and wraps around (two index range scans, whatever the class size).
ALTER TABLE pr_submissions ADD COLUMN pick_key double precision NOT NULL DEFAULT random();

DROP INDEX pr_submissions_load;
DROP INDEX pr_submissions_uncertain;
CREATE INDEX pr_submissions_load
    ON pr_submissions (course_id, assignment_id, review_load, pick_key);
CREATE INDEX pr_submissions_uncertain
    ON pr_submissions (course_id, assignment_id, review_load, pick_key) WHERE uncertain;
