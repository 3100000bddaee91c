-- Photos of time-bank and marketplace listings (issue 5): up to six, each with its alt text,
-- attached like a post's (see backend/src/uploads). Kept in step with the other backend's
-- tree; a test compares the two.
CREATE TABLE listing_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    listing_id INTEGER NOT NULL REFERENCES market_listings (id) ON DELETE CASCADE,
    -- An upload belongs to one thing at most.
    upload_id INTEGER NOT NULL UNIQUE REFERENCES uploads (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    alt TEXT NOT NULL
);
CREATE INDEX listing_images_listing ON listing_images (listing_id, position);
