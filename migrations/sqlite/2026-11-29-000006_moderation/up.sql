-- Moderation (flags, bans, the public log of each community) and in-app notifications.
-- Kept in step with the other backend's tree; a test compares the two.

CREATE TABLE moderation_flags (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- Set when a comment (of the post) is flagged.
    comment_id INTEGER REFERENCES comments (id) ON DELETE CASCADE,
    reporter_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- spam | offensive | personal_data | other
    reason TEXT NOT NULL CHECK (reason IN ('spam', 'offensive', 'personal_data', 'other')),
    note TEXT NOT NULL,
    -- open | resolved
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    resolved_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    resolved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX moderation_flags_community ON moderation_flags (community_id, status);
CREATE INDEX moderation_flags_post ON moderation_flags (post_id);

-- Who may no longer post in a community, and why.
CREATE TABLE community_bans (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    banned_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    lifted_at TIMESTAMP
);
CREATE INDEX community_bans_user ON community_bans (user_id, community_id);

-- Every moderation act, readable by the community (the moderator's name is kept, not shown).
CREATE TABLE moderation_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    moderator_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- hide | unhide | remove | lock | unlock | dismiss | ban | unban
    action TEXT NOT NULL,
    -- post | comment | user
    target TEXT NOT NULL,
    post_id INTEGER REFERENCES posts (id) ON DELETE SET NULL,
    comment_id INTEGER REFERENCES comments (id) ON DELETE SET NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX moderation_log_community ON moderation_log (community_id, id);

-- In-app notifications; worded by the web app from kind and data.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, id);
