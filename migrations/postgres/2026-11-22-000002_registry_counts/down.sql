ALTER TABLE buildings DROP COLUMN homes_count;
ALTER TABLE estates DROP COLUMN homes_count;
ALTER TABLE estates DROP COLUMN buildings_count;
