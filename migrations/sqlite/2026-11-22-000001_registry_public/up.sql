-- The public part of the tenant registry: estates (complessi), buildings (fabbricati), units (alloggi).
-- Kept in step with migrations/postgres; a test fails when the two trees differ in tables or columns.

CREATE TABLE estates (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    district INTEGER NOT NULL CHECK (district BETWEEN 1 AND 9),
    -- GeoJSON Polygon geometry (WGS84), validated before it is stored.
    boundary TEXT NOT NULL,
    centroid_lat DOUBLE NOT NULL,
    centroid_lon DOUBLE NOT NULL,
    min_lat DOUBLE NOT NULL,
    min_lon DOUBLE NOT NULL,
    max_lat DOUBLE NOT NULL,
    max_lon DOUBLE NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX estates_name_id ON estates (name, id);

CREATE TABLE buildings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    estate_id INTEGER NOT NULL REFERENCES estates (id) ON DELETE RESTRICT,
    code TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    floors INTEGER NOT NULL CHECK (floors >= 0),
    has_lift BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX buildings_estate_id ON buildings (estate_id);

CREATE TABLE units (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE RESTRICT,
    code TEXT NOT NULL UNIQUE,
    staircase TEXT NOT NULL,
    floor INTEGER NOT NULL,
    rooms INTEGER NOT NULL CHECK (rooms >= 0),
    area_m2 DOUBLE NOT NULL CHECK (area_m2 >= 0),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX units_building_id ON units (building_id);
