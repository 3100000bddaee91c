DROP TABLE notification_preferences;
DROP TABLE notification_channels;
DROP TABLE outbox;
