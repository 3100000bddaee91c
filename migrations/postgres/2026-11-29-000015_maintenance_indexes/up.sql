-- Indexes found missing by the maintenance benchmark (`bench-maintenance`) and for the Open311
-- rate limit. Kept in step with the other backend's tree; a test compares the two.

-- The queue over every status (`status=all`), the most pressing due time first.
CREATE INDEX reports_due ON reports (sla_due_at, id);

-- The submissions of one partner key in the last hour (the per-key rate limit).
CREATE INDEX open311_requests_key ON open311_requests (key_id, created_at);

-- The committee board reads an estate's open reports and its resolutions of the last year
-- from these indexes alone (thousands of rows per large estate, no table lookups).
CREATE INDEX reports_board_open
    ON reports (estate_id, is_open, category, created_at, sla_due_at, reopened_count);
DROP INDEX reports_estate_resolved;
CREATE INDEX reports_board_resolved ON reports (estate_id, resolved_at, created_at);
