DROP INDEX open311_requests_key;
DROP INDEX reports_due;
