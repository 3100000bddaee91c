-- The outbox: side effects (email, app IO messages) written in the same transaction as the
-- event, delivered by a worker with retries; channels and consent per person; preferences per
-- kind of notification and channel (off unless chosen).
-- Kept in step with the other backend's tree; a test compares the two.

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- email | io
    topic TEXT NOT NULL,
    -- What makes a delivery the same one (e.g. notification:42:email): written once.
    dedup_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A worker that claimed the row holds it until then.
    locked_until TIMESTAMP,
    done_at TIMESTAMP,
    -- Set when the retries are exhausted.
    failed_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (done_at, next_attempt_at);

CREATE TABLE notification_channels (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT,
    email_consent BOOLEAN NOT NULL DEFAULT FALSE,
    io_consent BOOLEAN NOT NULL DEFAULT FALSE,
    -- One email a day instead of one per notification.
    daily_digest BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE notification_preferences (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- email | io
    channel TEXT NOT NULL CHECK (channel IN ('email', 'io')),
    enabled BOOLEAN NOT NULL,
    UNIQUE (user_id, kind, channel)
);
