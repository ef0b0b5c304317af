-- Why: a launch with a lower role revokes the user's older sessions in the course (a demoted
-- instructor loses moderator rights at once); finding them must not scan every session.

CREATE INDEX sessions_user_course ON sessions (user_id, course_id);
