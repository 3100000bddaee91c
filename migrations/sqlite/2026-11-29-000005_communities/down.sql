DROP TABLE reactions;
DROP TABLE comments;
DROP TABLE post_revisions;
DROP TABLE posts;
DROP TABLE community_members;
DROP TABLE communities;
