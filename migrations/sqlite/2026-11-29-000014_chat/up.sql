-- Chat: rooms, their members, the durable per-room sequence of events, messages as they are
-- now, read markers, blocks between residents, and moderators' mutes and removals.
-- Kept in step with the other backend's tree; a test compares the two.

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- community | group | direct | help
    kind TEXT NOT NULL CHECK (kind IN ('community', 'group', 'direct', 'help')),
    -- One room per community (`community:<id>`), per pair of people (`direct:<low>:<high>`),
    -- per resident asking for help (`help:<user>`); NULL for groups.
    room_key TEXT UNIQUE,
    name TEXT NOT NULL,
    community_id INTEGER REFERENCES communities (id) ON DELETE CASCADE,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- Help rooms: the resident, the operator who took it, and whether it waits for one.
    help_user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    waiting_since TIMESTAMP,
    -- The newest sequence number given in this room (raised in the transaction that stores
    -- the event, so numbers are dense and in commit order).
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX rooms_waiting ON rooms (kind, waiting_since);

-- Members of group, direct and help rooms (a community room's members are its community's).
CREATE TABLE room_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    moderator BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members (user_id);

-- The durable sequence of each room: what a client that reconnects is sent again.
CREATE TABLE room_events (
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    -- message | edit | delete
    kind TEXT NOT NULL CHECK (kind IN ('message', 'edit', 'delete')),
    message_id INTEGER NOT NULL,
    -- The event as sent on the socket (a deleted message's text is blanked here too).
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX room_events_message ON room_events (message_id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    sender_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_msg_id TEXT NOT NULL,
    body TEXT NOT NULL,
    html TEXT NOT NULL,
    reply_to INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP,
    deleted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- A message resent after a lost acknowledgement is not stored twice.
    UNIQUE (room_id, sender_id, client_msg_id),
    UNIQUE (room_id, seq)
);
CREATE INDEX messages_sender ON messages (sender_id, created_at);

CREATE TABLE read_markers (
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

-- A resident blocks another: no direct messages from them.
CREATE TABLE user_blocks (
    blocker_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

-- Moderators' acts on people in a room: `mute` until a time, or `remove` (until lifted).
CREATE TABLE room_sanctions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('mute', 'remove')),
    until TIMESTAMP,
    reason TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    lifted_at TIMESTAMP
);
CREATE INDEX room_sanctions_user ON room_sanctions (user_id, room_id);
