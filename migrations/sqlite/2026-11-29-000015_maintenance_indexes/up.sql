-- Indexes found missing by the maintenance benchmark (`bench-maintenance`) and for the Open311
-- rate limit. Kept in step with the other backend's tree; a test compares the two.

-- The queue over every status (`status=all`), the most pressing due time first.
CREATE INDEX reports_due ON reports (sla_due_at, id);

-- The submissions of one partner key in the last hour (the per-key rate limit).
CREATE INDEX open311_requests_key ON open311_requests (key_id, created_at);
