-- Communities (one per estate and per building, made from the registry; and communities of
-- interest), their members, posts with their edit history, comments and reactions.
-- Kept in step with the other backend's tree; a test compares the two.

CREATE TABLE communities (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- estate | building | interest
    kind TEXT NOT NULL CHECK (kind IN ('estate', 'building', 'interest')),
    estate_id INTEGER REFERENCES estates (id) ON DELETE RESTRICT,
    building_id INTEGER REFERENCES buildings (id) ON DELETE RESTRICT,
    name TEXT NOT NULL,
    -- Unique key: estate:<id>, building:<id>, or the lower-cased name of a community of interest.
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    -- registry | open | approval | invite
    join_policy TEXT NOT NULL CHECK (join_policy IN ('registry', 'open', 'approval', 'invite')),
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- Active members of a community of interest (vertical ones count from the registry).
    members_count INTEGER NOT NULL DEFAULT 0,
    posts_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX communities_estate ON communities (estate_id);
CREATE INDEX communities_building ON communities (building_id);

-- Members of communities of interest, and moderators of any community. Residents are members
-- of their estate's and building's communities through the registry, without a row here.
CREATE TABLE community_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- active | pending | invited
    status TEXT NOT NULL CHECK (status IN ('active', 'pending', 'invited')),
    moderator BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (community_id, user_id)
);
CREATE INDEX community_members_user ON community_members (user_id);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    -- Rendered and sanitised once, at write time.
    body_html TEXT NOT NULL,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    hidden_at TIMESTAMP,
    removed_at TIMESTAMP,
    comments_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP
);
-- The feed and community pages read posts of a few communities, newest first.
CREATE INDEX posts_community_id ON posts (community_id, id);

-- Earlier versions of edited posts.
CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    edited_by INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    replaced_at TIMESTAMP NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions (post_id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- A reply to a top-level comment (one level deep).
    parent_id INTEGER REFERENCES comments (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    removed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX comments_post_id ON comments (post_id, id);

CREATE TABLE reactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- like | thanks | support
    kind TEXT NOT NULL CHECK (kind IN ('like', 'thanks', 'support')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (post_id, user_id, kind)
);
