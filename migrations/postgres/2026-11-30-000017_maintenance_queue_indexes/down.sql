DROP INDEX reports_building_due;
DROP INDEX reports_assignee_open;
CREATE INDEX reports_assignee ON reports (assignee_user_id);
