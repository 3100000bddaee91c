ALTER TABLE notification_channels DROP COLUMN last_digest_at;
