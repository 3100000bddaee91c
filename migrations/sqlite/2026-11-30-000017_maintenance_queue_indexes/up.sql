-- Indexes of the staff queue found by the maintenance benchmark (`bench-maintenance`).
-- Kept in step with the other backend's tree; a test compares the two.

-- "Assigned to me" (or to one person): that person's open reports, the most pressing due time
-- first, straight from the index (it also serves the foreign key, as the old one did).
DROP INDEX reports_assignee;
CREATE INDEX reports_assignee_open ON reports (assignee_user_id, is_open, sla_due_at, id);

-- One building's queue, in any status, in due order.
CREATE INDEX reports_building_due ON reports (building_id, sla_due_at, id);
