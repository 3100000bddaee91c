DROP TABLE user_profiles;
DROP TABLE post_recipients;
ALTER TABLE posts DROP COLUMN audience;
ALTER TABLE posts DROP COLUMN targeted;
