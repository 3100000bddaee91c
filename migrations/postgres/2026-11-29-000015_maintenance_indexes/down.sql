DROP INDEX reports_board_resolved;
CREATE INDEX reports_estate_resolved ON reports (estate_id, resolved_at);
DROP INDEX reports_board_open;
DROP INDEX open311_requests_key;
DROP INDEX reports_due;
