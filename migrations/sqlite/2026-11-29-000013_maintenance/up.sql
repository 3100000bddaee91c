-- Maintenance: reports with a place and a status history, "me too" supporters, a thread of
-- public comments and internal notes, photos, planned extraordinary works with the residents'
-- ratings, and the API keys of Open311 partners.
-- Kept in step with the other backend's tree; a test compares the two.

-- Partners that may submit reports through Open311 (`POST /open311/v2/requests.json`).
CREATE TABLE open311_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    -- Hex SHA-256 of the key; the key itself is printed once, when created.
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('lift', 'heating', 'water', 'electrical',
        'doors_intercom', 'common_areas', 'green_areas', 'pests', 'damp_mould', 'safety', 'other')),
    -- home | staircase | building | common_area | point
    place TEXT NOT NULL CHECK (place IN ('home', 'staircase', 'building', 'common_area', 'point')),
    estate_id INTEGER NOT NULL REFERENCES estates (id) ON DELETE RESTRICT,
    -- Absent only for a point with no building named.
    building_id INTEGER REFERENCES buildings (id) ON DELETE RESTRICT,
    -- Only for a home: never shown to anyone but the reporter and staff.
    unit_id INTEGER REFERENCES units (id) ON DELETE RESTRICT,
    staircase TEXT,
    -- The point (the building's for home, staircase, building and common area).
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    description_md TEXT NOT NULL,
    -- Rendered and sanitised once, at write time.
    description_html TEXT NOT NULL,
    -- The first line as plain text, for lists.
    summary TEXT NOT NULL,
    blocks_access BOOLEAN NOT NULL,
    danger BOOLEAN NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    sla_due_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'acknowledged', 'scheduled', 'in_progress',
        'resolved', 'confirmed', 'reopened', 'rejected', 'not_our_responsibility', 'closed',
        'merged')),
    -- status in (new, acknowledged, scheduled, in_progress, reopened): kept with the status,
    -- so that the queue and the board read one index.
    is_open BOOLEAN NOT NULL,
    -- The resident (absent for reports of an Open311 partner).
    reporter_id INTEGER REFERENCES users (id) ON DELETE RESTRICT,
    -- The operator who wrote it on the resident's behalf (assisted mode).
    on_behalf_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    assignee_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    assignee_contractor TEXT,
    escalation TEXT NOT NULL CHECK (escalation IN ('first_line', 'technical_office', 'contractor')),
    merged_into INTEGER REFERENCES reports (id) ON DELETE RESTRICT,
    scheduled_for DATE,
    -- Why rejected, or who is responsible instead.
    status_note TEXT,
    -- The last time staff resolved it (the board's time to resolve; auto-close counts from it).
    resolved_at TIMESTAMP,
    supporters_count INTEGER NOT NULL DEFAULT 0,
    reopened_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- A report's people and times beyond these columns live in its history (who confirmed, when
-- it closed); its rating and its Open311 origin in the two tables below.

-- The reporter's rating of the repair, once confirmed.
CREATE TABLE report_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    report_id INTEGER NOT NULL UNIQUE REFERENCES reports (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT,
    created_at TIMESTAMP NOT NULL
);

-- Reports submitted by an Open311 partner, and the token the partner was given.
CREATE TABLE open311_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    report_id INTEGER NOT NULL UNIQUE REFERENCES reports (id) ON DELETE CASCADE,
    key_id INTEGER NOT NULL REFERENCES open311_keys (id) ON DELETE RESTRICT,
    token TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- The staff queue: open first, the most urgent due time first.
CREATE INDEX reports_queue ON reports (is_open, sla_due_at, id);
-- An estate's queue, board and map.
CREATE INDEX reports_estate ON reports (estate_id, is_open, sla_due_at, id);
CREATE INDEX reports_estate_resolved ON reports (estate_id, resolved_at);
-- A building's open reports ("me too").
CREATE INDEX reports_building ON reports (building_id, is_open, category);
CREATE INDEX reports_reporter ON reports (reporter_id, id);
CREATE INDEX reports_assignee ON reports (assignee_user_id);
CREATE INDEX reports_created ON reports (created_at);
CREATE INDEX reports_merged_into ON reports (merged_into);

CREATE TABLE report_status_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    -- Absent for the first entry (the report made).
    from_status TEXT,
    to_status TEXT NOT NULL,
    -- Absent when the system acted (auto-close).
    by_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    on_behalf_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reason TEXT,
    scheduled_for DATE,
    at TIMESTAMP NOT NULL
);
CREATE INDEX report_status_history_report ON report_status_history (report_id, id);

-- "Me too": residents affected by the same problem.
CREATE TABLE report_supporters (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (report_id, user_id)
);
CREATE INDEX report_supporters_user ON report_supporters (user_id);

CREATE TABLE report_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    -- public | internal (staff only)
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX report_comments_report ON report_comments (report_id, id);

-- Photos of a report (history_id absent) or of a reopening (history_id: that step).
CREATE TABLE report_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    history_id INTEGER REFERENCES report_status_history (id) ON DELETE CASCADE,
    -- An upload belongs to one thing at most.
    upload_id INTEGER NOT NULL UNIQUE REFERENCES uploads (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    alt TEXT NOT NULL
);
CREATE INDEX report_images_report ON report_images (report_id, history_id, position);

-- Extraordinary works announced by staff; each affected building's community gets a pinned
-- post (residents comment there) and residents rate the outcome afterwards.
CREATE TABLE planned_works (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    title TEXT NOT NULL,
    description_md TEXT NOT NULL,
    description_html TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    -- JSON array of strings.
    disruptions TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX planned_works_starts ON planned_works (starts_on);

CREATE TABLE planned_work_buildings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    works_id INTEGER NOT NULL REFERENCES planned_works (id) ON DELETE CASCADE,
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE RESTRICT,
    -- The announcement pinned in the building's community.
    post_id INTEGER REFERENCES posts (id) ON DELETE SET NULL,
    UNIQUE (works_id, building_id)
);
CREATE INDEX planned_work_buildings_building ON planned_work_buildings (building_id);

CREATE TABLE planned_work_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    works_id INTEGER NOT NULL REFERENCES planned_works (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (works_id, user_id)
);
