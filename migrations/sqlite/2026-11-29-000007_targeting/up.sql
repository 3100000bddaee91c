-- Targeted posts (an audience within the community, materialised as recipients when the post
-- is published) and the profile that targeting reads (interests, languages, accessibility).
-- Kept in step with the other backend's tree; a test compares the two.

ALTER TABLE posts ADD COLUMN targeted BOOLEAN NOT NULL DEFAULT FALSE;
-- The audience rules as chosen by the author (JSON), for the record.
ALTER TABLE posts ADD COLUMN audience TEXT;

CREATE TABLE post_recipients (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (post_id, user_id)
);
CREATE INDEX post_recipients_user ON post_recipients (user_id, post_id);

CREATE TABLE user_profiles (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- JSON arrays of codes.
    interests TEXT NOT NULL,
    languages TEXT NOT NULL,
    accessibility TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
