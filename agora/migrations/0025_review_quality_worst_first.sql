-- Why: staff read every learner's review quality for an assignment worst first, a page at a time
-- (issue 13.4's staff list); keyset pages on (score, user_id) are an index range scan instead of
-- sorting up to 160,000 reviewers of a MOOC assignment for each page.

CREATE INDEX pr_review_quality_worst_first
    ON pr_review_quality (course_id, assignment_id, score, user_id);
