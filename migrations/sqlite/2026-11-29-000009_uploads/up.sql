-- Uploaded images, stored in the database (several processes on one PostgreSQL serve the same
-- files; a backup holds everything), and the images of posts. Time-bank listings and
-- maintenance reports will attach uploads through tables of their own, like post_images.
-- Kept in step with the other backend's tree; a test compares the two.

CREATE TABLE uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- The public name (a random UUID) used in URLs, so that ids cannot be enumerated.
    token TEXT NOT NULL UNIQUE,
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What was stored after re-encoding (never what the client claimed).
    mime TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png')),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    byte_size INTEGER NOT NULL,
    -- Hex SHA-256 of data: the ETag.
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Removed from what it was attached to: the bytes are emptied at once; the row stays a
    -- while so that the rate limit still counts it.
    deleted_at TIMESTAMP
);
CREATE INDEX uploads_owner ON uploads (owner_id, created_at);
CREATE INDEX uploads_created ON uploads (created_at);

CREATE TABLE post_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- An upload belongs to one thing at most.
    upload_id INTEGER NOT NULL UNIQUE REFERENCES uploads (id) ON DELETE CASCADE,
    -- 0, 1, … in the order the author chose.
    position INTEGER NOT NULL,
    alt TEXT NOT NULL,
    UNIQUE (post_id, position)
);
