-- The daily digest: when a person's last one was composed (notifications after it go into the
-- next). Kept in step with the other backend's tree; a test compares the two.
ALTER TABLE notification_channels ADD COLUMN last_digest_at TIMESTAMP;
