-- Counts kept with the rows they describe, so that lists and maps need no aggregate over units.
-- Written only by the registry's write path (store::refresh_counts, in the same transaction as
-- the change); the API tests compare them with live counts.
ALTER TABLE estates ADD COLUMN buildings_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE estates ADD COLUMN homes_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE buildings ADD COLUMN homes_count BIGINT NOT NULL DEFAULT 0;

UPDATE buildings SET homes_count = (SELECT COUNT(*) FROM units WHERE units.building_id = buildings.id);
UPDATE estates SET
    buildings_count = (SELECT COUNT(*) FROM buildings WHERE buildings.estate_id = estates.id),
    homes_count = (SELECT COALESCE(SUM(buildings.homes_count), 0) FROM buildings WHERE buildings.estate_id = estates.id);
