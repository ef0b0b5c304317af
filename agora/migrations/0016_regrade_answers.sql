-- Why: regrade requests with a staff answer (issue 13.8). Staff accept a request (with the new
-- score, set as the grade override) or reject it with a reason; the learner reads the answer.
-- 'resolved' stays for requests settled by a plain override before they were answered.

ALTER TABLE pr_regrade_requests DROP CONSTRAINT pr_regrade_requests_state_check;
ALTER TABLE pr_regrade_requests ADD CONSTRAINT pr_regrade_requests_state_check
    CHECK (state IN ('open', 'resolved', 'accepted', 'rejected'));
ALTER TABLE pr_regrade_requests
    ADD COLUMN answered_by bigint,
    ADD COLUMN new_score   double precision;

-- The learner's grade page reads the latest request of their submission.
CREATE INDEX pr_regrade_submission ON pr_regrade_requests (course_id, submission_id, id);
