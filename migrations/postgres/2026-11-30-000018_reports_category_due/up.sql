-- The staff queue filtered by category (often with "overdue"): open reports of one category in
-- due order, read from the front of this index instead of filtering every open report.
-- Kept in step with the other backend's tree; a test compares the two.
CREATE INDEX reports_category_due ON reports (category, is_open, sla_due_at, id);
